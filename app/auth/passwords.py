"""Password hashes through pwdlib: argon2id with OWASP's parameters (19 MiB, t=2, p=1).

pwdlib's own default (64 MiB, p=4) took 0.5 s per hash on the 2-core machine; OWASP's
minimum is still memory-hard and keeps a sign-in under a third of a second.
"""

from __future__ import annotations

from functools import cache

from pwdlib import PasswordHash
from pwdlib.exceptions import PwdlibError
from pwdlib.hashers.argon2 import Argon2Hasher

from app.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 1024


@cache
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19_456, parallelism=1),))


@cache
def _dummy_hash() -> str:
    return _hasher().hash("renewal-desk-dummy-password")


def check_strength(password: str) -> None:
    """Long enough to resist guessing; the upper bound keeps hashing time bounded."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"パスワードは{MIN_LENGTH}文字以上にしてください。")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"パスワードは{MAX_LENGTH}文字以内にしてください。")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant work whether or not the account exists (no timing hint about e-mails)."""
    if password_hash is None or len(password) > MAX_LENGTH:
        _hasher().verify("x", _dummy_hash())
        return False
    try:
        return _hasher().verify(password, password_hash)
    except (PwdlibError, ValueError):
        return False
