"""API tokens: shown once, stored as SHA-256, revocable, acting with their user's role."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.auth.roles import Role
from app.auth.users import UserInfo, aware_utc, user_info
from app.errors import InvalidInput, NotFound
from app.store.auth_tables import ApiToken, User

PREFIX = "rdk_"
# A GET never writes, except this: a token's last-used time, at most once a minute.
TOUCH_INTERVAL = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user_id: int
    email: str
    role: Role
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def digest(token: str) -> str:
    """A high-entropy random token needs no slow hash: SHA-256 cannot be guessed back."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _token_info(row: ApiToken, user: User) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        user_id=user.id,
        email=user.email,
        role=Role(user.role),
        name=row.name,
        created_at=aware_utc(row.created_at),
        last_used_at=aware_utc(row.last_used_at) if row.last_used_at else None,
        revoked_at=aware_utc(row.revoked_at) if row.revoked_at else None,
    )


def create_token(
    *, db: sessionmaker[Session], user_id: int, name: str = "api"
) -> tuple[TokenInfo, str]:
    """The stored record and the token itself, which is never shown again."""
    label = name.strip() or "api"
    if len(label) > 100:
        raise InvalidInput("トークンの名前は100文字以内にしてください。")
    secret = PREFIX + secrets.token_urlsafe(32)
    with db() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("ユーザーが見つかりません。")
        row = ApiToken(user_id=user.id, name=label, token_hash=digest(secret))
        session.add(row)
        session.commit()
        return _token_info(row, user), secret


def list_tokens(*, db: sessionmaker[Session], user_id: int | None = None) -> list[TokenInfo]:
    with db() as session:
        query = select(ApiToken, User).join(User, ApiToken.user_id == User.id)
        if user_id is not None:
            query = query.where(ApiToken.user_id == user_id)
        rows = session.execute(query.order_by(ApiToken.id)).all()
        return [_token_info(token, user) for token, user in rows]


def revoke_token(*, db: sessionmaker[Session], token_id: int) -> TokenInfo:
    """Idempotent: revoking a revoked token keeps its first revocation time."""
    with db() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"トークン {token_id} は見つかりません。")
        if row.revoked_at is None:
            row.revoked_at = dt.datetime.now(dt.UTC)
            session.commit()
        return _token_info(row, row.user)


def resolve_token(
    *, db: sessionmaker[Session], token: str, now: dt.datetime | None = None
) -> UserInfo | None:
    """The active user a live token belongs to; records its use once a minute at most."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    moment = now or dt.datetime.now(dt.UTC)
    with db() as session:
        found = session.execute(
            select(ApiToken, User)
            .join(User, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None))
        ).first()
        if found is None:
            return None
        row, user = found
        if not user.is_active:
            return None
        last = aware_utc(row.last_used_at) if row.last_used_at else None
        if last is None or moment - last >= TOUCH_INTERVAL:
            session.execute(
                update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=moment)
            )
            session.commit()
        return user_info(user)
