"""A small error tree; `app.serve.errors` maps it to status codes and Japanese messages."""

from __future__ import annotations


class RenewalDeskError(Exception):
    """Base class: `message` is Japanese and safe to show to users."""

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


class TooLarge(RenewalDeskError):
    status_code = 413
    code = "too_large"


class UnsupportedMediaType(RenewalDeskError):
    status_code = 415
    code = "unsupported_media_type"


class StorageFailed(RenewalDeskError):
    status_code = 503
    code = "storage_failed"


class LLMUnavailable(RenewalDeskError):
    status_code = 503
    code = "llm_unavailable"
