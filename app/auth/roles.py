"""The three roles, ordered: each one may do everything the one below it may."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def label(self) -> str:
        return LABELS[self]

    def allows(self, required: Role) -> bool:
        return self.rank >= required.rank


_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}
LABELS = {Role.VIEWER: "閲覧者", Role.EDITOR: "編集者", Role.ADMIN: "管理者"}


def parse_role(value: str) -> Role:
    """A role by its name; the error lists the names that exist."""
    from app.errors import InvalidInput

    try:
        return Role(value.strip().lower())
    except ValueError:
        names = "、".join(role.value for role in Role)
        raise InvalidInput(f"権限は {names} のいずれかで指定してください。") from None
