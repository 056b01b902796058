"""Optional SSO (OpenID Connect) through authlib: the client, and who a verified e-mail is.

The provider proves the e-mail; Renewal Desk decides the role: an existing user keeps theirs,
a new one gets `oidc_default_role`. Metadata and keys are fetched from the issuer on first use.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.starlette_client import OAuth
from sqlalchemy.orm import Session, sessionmaker

from app.auth.roles import Role
from app.auth.users import UserInfo, create_user, find_user, normalize_email
from app.errors import Forbidden, NotFound
from app.settings import Settings

CLIENT_NAME = "sso"


def build_client(settings: Settings) -> Any | None:
    """The registered OpenID Connect client, or None when SSO is not configured."""
    if not settings.oidc_issuer or not settings.oidc_client_id:
        return None
    oauth = OAuth()
    secret = settings.oidc_client_secret
    oauth.register(
        name=CLIENT_NAME,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_id=settings.oidc_client_id,
        client_secret=secret.get_secret_value() if secret is not None else None,
        client_kwargs={"scope": "openid email profile"},
    )
    return oauth.create_client(CLIENT_NAME)


def allowed_domains(settings: Settings) -> set[str]:
    return {
        d.strip().lower().lstrip("@") for d in settings.oidc_allowed_domains.split(",") if d.strip()
    }


def user_for_claims(
    *, db: sessionmaker[Session], claims: dict[str, Any], settings: Settings
) -> UserInfo:
    """The account an ID token's verified e-mail names, created with the default role if new."""
    email = claims.get("email")  # never `preferred_username`: the provider does not verify it
    if not isinstance(email, str) or claims.get("email_verified") is False:
        raise Forbidden(
            "認証基盤から確認済みのメールアドレスが届きませんでした。管理者にお問い合わせください。"
        )
    address = normalize_email(email)
    domains = allowed_domains(settings)
    if domains and address.rsplit("@", 1)[1] not in domains:
        raise Forbidden(f"{address} のドメインはこのアプリにシングルサインオンできません。")
    try:
        user = find_user(db=db, email=address)
    except NotFound:
        return create_user(
            db=db, email=address, role=Role(settings.oidc_default_role), password=None
        )
    if not user.is_active:
        raise Forbidden("このアカウントは無効になっています。管理者にお問い合わせください。")
    return user
