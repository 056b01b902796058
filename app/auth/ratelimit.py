"""Sign-in back-off per account and client address, kept in the database for every worker.

After `free` failures each further failure locks that pair for 30 s, doubling up to
`max_s`. A success clears the count. The rule is a pure function (`lock_seconds`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from app.auth.users import aware_utc
from app.store.auth_tables import LoginAttempt

BASE_SECONDS = 30


def lock_seconds(failures: int, *, free: int, max_s: int) -> int:
    """0 while under the free allowance, then 30, 60, 120 … seconds, capped."""
    if failures < free:
        return 0
    return int(min(max_s, BASE_SECONDS * 2 ** min(failures - free, 30)))


def attempt_key(email: str, address: str | None) -> str:
    return f"{email.strip().lower()[:320]}|{address or '-'}"[:400]


def retry_after(*, db: sessionmaker[Session], key: str, now: dt.datetime | None = None) -> int:
    """Seconds until this pair may try again (0: now)."""
    moment = now or dt.datetime.now(dt.UTC)
    with db() as session:
        row = session.get(LoginAttempt, key)
        if row is None or row.locked_until is None:
            return 0
        left = (aware_utc(row.locked_until) - moment).total_seconds()
        return max(0, int(left + 0.999))


def record_failure(
    *,
    db: sessionmaker[Session],
    key: str,
    free: int,
    max_s: int,
    now: dt.datetime | None = None,
) -> int:
    """Count a failure; returns the lock it starts in seconds (0: none yet)."""
    moment = now or dt.datetime.now(dt.UTC)
    with db() as session:
        row = session.get(LoginAttempt, key)
        if row is None:
            row = LoginAttempt(key=key, failures=0, last_failure_at=moment)
            session.add(row)
        row.failures += 1
        row.last_failure_at = moment
        seconds = lock_seconds(row.failures, free=free, max_s=max_s)
        row.locked_until = moment + dt.timedelta(seconds=seconds) if seconds else None
        session.commit()
        return seconds


def clear(*, db: sessionmaker[Session], key: str) -> None:
    with db() as session:
        session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))
        session.commit()
