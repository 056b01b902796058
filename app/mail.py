"""Outgoing messages: e-mail over SMTP and incoming-webhook posts (Slack, Teams).

Adapters only: they send what they are given. The container builds them from settings
(none when unconfigured); tests point the settings at a loopback SMTP server and receiver.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal, Protocol

import httpx

from app.settings import Settings


class Mailer(Protocol):
    """Anything that delivers an e-mail or raises."""

    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    """One SMTP connection per message: reminders are a handful a day, not a stream."""

    host: str
    port: int
    sender: str
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password: str | None = None
    timeout_s: float = 30.0

    def send(self, message: EmailMessage) -> None:
        if "From" not in message:
            message["From"] = self.sender
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


@dataclass(frozen=True)
class WebhookPoster:
    """POSTs `{"text": …}`: the payload both Slack and Teams incoming webhooks accept."""

    url: str
    format: Literal["slack", "teams"] = "slack"
    timeout_s: float = 10.0

    def post(self, *, title: str, text: str) -> None:
        body = f"*{title}*\n{text}" if self.format == "slack" else f"**{title}**\n\n{text}"
        response = httpx.post(self.url, json={"text": body}, timeout=self.timeout_s)
        response.raise_for_status()


def build_mailer(settings: Settings) -> Mailer | None:
    if not settings.smtp_host or not settings.smtp_from:
        return None
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        security=settings.smtp_security,
        user=settings.smtp_user,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        timeout_s=settings.smtp_timeout_s,
    )


def build_webhook(settings: Settings) -> WebhookPoster | None:
    if not settings.remind_webhook_url:
        return None
    return WebhookPoster(url=settings.remind_webhook_url, format=settings.remind_webhook_format)
