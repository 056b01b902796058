"""The one error tree; `app.serve.errors` maps it to status codes and Japanese messages.

Every error the app raises on purpose is one of these, so one handler can answer JSON on the
API and a Japanese error page on the web.
"""

from __future__ import annotations

from pathlib import Path


class RenewalDeskError(Exception):
    """Base class: `message` is Japanese (or names a file and field) and safe to show."""

    status_code = 400
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(RenewalDeskError):
    status_code = 422
    code = "invalid_input"


class NotFound(RenewalDeskError):
    status_code = 404
    code = "not_found"


class Conflict(RenewalDeskError):
    """The request is valid but clashes with the current state (e.g. a newer draft version)."""

    status_code = 409
    code = "conflict"


class TooLarge(RenewalDeskError):
    status_code = 413
    code = "too_large"


class UnsupportedMediaType(RenewalDeskError):
    status_code = 415
    code = "unsupported_media_type"


class ConfigError(RenewalDeskError):
    """A knowledge, prompt or template file is broken: a deployment error, not user input.

    Raised at start-up so a broken file stops the app naming the file and the field.
    """

    status_code = 500
    code = "config_error"

    def __init__(
        self, message: str, *, path: Path | None = None, field_name: str | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.field_name = field_name


class StorageFailed(RenewalDeskError):
    status_code = 503
    code = "storage_failed"


class LLMUnavailable(RenewalDeskError):
    status_code = 503
    code = "llm_unavailable"


class LLMTimeout(LLMUnavailable):
    """The model did not answer within `llm_timeout_s`."""

    code = "llm_timeout"


class LLMBadResponse(LLMUnavailable):
    """The model answered, but not with something we can use (invalid JSON, wrong schema)."""

    status_code = 502
    code = "llm_bad_response"


class Forbidden(RenewalDeskError):
    """Signed in, but the role does not allow it; or a state change without a valid CSRF token."""

    status_code = 403
    code = "forbidden"
