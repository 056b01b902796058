"""Users: create, list, change role or password, and check a sign-in."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.passwords import hash_password, verify_password
from app.auth.roles import Role
from app.errors import Conflict, InvalidInput, NotFound
from app.store.auth_tables import User

# Deliberately loose: one @, no spaces, a dot in the domain. The address is an identifier
# here, not a mailbox we send to.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
DEMO_ADMIN_EMAIL = "admin@renewal-desk.invalid"


@dataclass(frozen=True)
class UserInfo:
    """What the rest of the app sees of a user (never the hash)."""

    id: int
    email: str
    role: Role
    is_active: bool
    created_at: dt.datetime
    password_changed_at: dt.datetime


def user_info(row: User) -> UserInfo:
    return UserInfo(
        id=row.id,
        email=row.email,
        role=Role(row.role),
        is_active=row.is_active,
        created_at=aware_utc(row.created_at),
        password_changed_at=aware_utc(row.password_changed_at),
    )


def aware_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def normalize_email(email: str) -> str:
    cleaned = email.strip().lower()
    if len(cleaned) > 320 or not _EMAIL.match(cleaned):
        raise InvalidInput("メールアドレスの形式が正しくありません。")
    return cleaned


def create_user(
    *, db: sessionmaker[Session], email: str, role: Role, password: str | None
) -> UserInfo:
    address = normalize_email(email)
    password_hash = hash_password(password) if password is not None else None
    with db() as session:
        if session.scalar(select(User.id).where(User.email == address)) is not None:
            raise Conflict(f"{address} はすでに登録されています。")
        row = User(email=address, role=role.value, password_hash=password_hash, is_active=True)
        session.add(row)
        session.commit()
        return user_info(row)


def list_users(*, db: sessionmaker[Session]) -> list[UserInfo]:
    with db() as session:
        return [user_info(row) for row in session.scalars(select(User).order_by(User.id))]


def get_user(*, db: sessionmaker[Session], user_id: int) -> UserInfo | None:
    with db() as session:
        row = session.get(User, user_id)
        return user_info(row) if row is not None else None


def find_user(*, db: sessionmaker[Session], email: str) -> UserInfo:
    address = email.strip().lower()
    with db() as session:
        row = session.scalar(select(User).where(User.email == address))
        if row is None:
            raise NotFound(f"{address} というユーザーは登録されていません。")
        return user_info(row)


def set_password(*, db: sessionmaker[Session], email: str, password: str) -> UserInfo:
    """A new password also ends the user's existing sessions (they started before it)."""
    password_hash = hash_password(password)
    address = email.strip().lower()
    with db() as session:
        row = session.scalar(select(User).where(User.email == address))
        if row is None:
            raise NotFound(f"{address} というユーザーは登録されていません。")
        row.password_hash = password_hash
        row.password_changed_at = dt.datetime.now(dt.UTC)
        session.commit()
        return user_info(row)


def set_role(*, db: sessionmaker[Session], user_id: int, role: Role) -> UserInfo:
    """The last active admin keeps the role, so the app always has someone to manage it."""
    with db() as session:
        row = session.get(User, user_id)
        if row is None:
            raise NotFound("ユーザーが見つかりません。")
        if row.role == Role.ADMIN and role != Role.ADMIN and _admins(session) <= 1:
            raise Conflict("最後の管理者の権限は変更できません。先に別の管理者を追加してください。")
        row.role = role.value
        session.commit()
        return user_info(row)


def _admins(session: Session) -> int:
    count: int = (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN.value, User.is_active.is_(True))
        )
        or 0
    )
    return count


def count_admins(*, db: sessionmaker[Session]) -> int:
    with db() as session:
        return _admins(session)


def authenticate(*, db: sessionmaker[Session], email: str, password: str) -> UserInfo | None:
    """The user if the password matches an active account; the same work either way."""
    address = email.strip().lower()
    with db() as session:
        row = session.scalar(select(User).where(User.email == address))
        stored = row.password_hash if row is not None and row.is_active else None
        if not verify_password(password, stored) or row is None:
            return None
        return user_info(row)


def ensure_demo_admin(*, db: sessionmaker[Session]) -> tuple[str, str] | None:
    """For `make run`: an admin with a random password when there is none yet.

    Returns (email, password) once, to print; None when an admin already exists.
    """
    if count_admins(db=db) > 0:
        return None
    password = secrets.token_urlsafe(12)
    with db() as session:
        existing = session.scalar(select(User).where(User.email == DEMO_ADMIN_EMAIL))
        if existing is not None:  # demoted or deactivated earlier: make it usable again
            existing.role = Role.ADMIN.value
            existing.is_active = True
            existing.password_hash = hash_password(password)
            existing.password_changed_at = dt.datetime.now(dt.UTC)
            session.commit()
            return DEMO_ADMIN_EMAIL, password
    create_user(db=db, email=DEMO_ADMIN_EMAIL, role=Role.ADMIN, password=password)
    return DEMO_ADMIN_EMAIL, password
