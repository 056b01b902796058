"""The secret key, and whether a server may listen beyond this machine."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

from app.settings import Settings

KEY_FILE = "secret_key"


def is_loopback(host: str) -> bool:
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def secret_key(settings: Settings) -> str:
    """The configured key, or a random one kept in the data dir (loopback use only)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path: Path = settings.data_dir / KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def refusal(host: str, *, settings: Settings, admins: int) -> str | None:
    """Why `serve --host HOST` must not start, or None when it may."""
    if is_loopback(host):
        return None
    missing = []
    if settings.secret_key is None or len(settings.secret_key.get_secret_value()) < 32:
        missing.append(
            "RENEWAL_DESK_SECRET_KEY（32文字以上のランダムな文字列。例: "
            'python -c "import secrets; print(secrets.token_urlsafe(48))"）'
        )
    if admins == 0:
        missing.append(
            "管理者ユーザー（renewal-desk user add EMAIL --role admin --password-stdin）"
        )
    if not missing:
        return None
    return (
        f"{host} で待ち受けるには次の設定が必要です: "
        + "、".join(missing)
        + "。ローカルだけで使う場合は --host 127.0.0.1 を指定してください。"
    )
