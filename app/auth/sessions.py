"""What a signed session cookie holds, and when it stops counting (pure functions).

The cookie is signed (itsdangerous, through Starlette's SessionMiddleware) and holds only
the user id, a session id, the sign-in and last-seen times and the CSRF token. The user is
looked up on every request, so a role change or deactivation applies at once.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

CSRF_KEY = "csrf"
# Seen-time updates are rounded to this, so the cookie is not re-sent on every request.
SEEN_RESOLUTION_S = 30


@dataclass(frozen=True)
class Timeouts:
    idle: dt.timedelta
    absolute: dt.timedelta


def start(session: MutableMapping[str, Any], *, user_id: int, now: float) -> None:
    """Sign-in: everything the anonymous session held goes, with a new id and CSRF token."""
    session.clear()
    session.update(
        {
            "uid": user_id,
            "sid": secrets.token_urlsafe(16),
            # Milliseconds: a password changed in the same second still ends older sessions.
            "iat": round(now, 3),
            "seen": int(now),
            CSRF_KEY: secrets.token_urlsafe(32),
        }
    )


def end(session: MutableMapping[str, Any]) -> None:
    session.clear()


def current_user_id(
    session: MutableMapping[str, Any],
    *,
    now: float,
    timeouts: Timeouts,
    valid_after: dt.datetime | None = None,
) -> int | None:
    """The signed-in user id, or None (and the session cleared) when it has timed out."""
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    issued, seen = session.get("iat"), session.get("seen")
    if not isinstance(issued, int | float) or not isinstance(seen, int | float):
        session.clear()
        return None
    if (
        now - seen > timeouts.idle.total_seconds()
        or now - issued > timeouts.absolute.total_seconds()
    ):
        session.clear()
        return None
    if valid_after is not None and issued < round(valid_after.timestamp(), 3):
        session.clear()
        return None
    if now - seen >= SEEN_RESOLUTION_S:
        session["seen"] = int(now)
    return uid


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, made on first use (an anonymous visitor gets one too)."""
    token = session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def csrf_matches(session: MutableMapping[str, Any], submitted: str | None) -> bool:
    expected = session.get(CSRF_KEY)
    if not isinstance(expected, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
