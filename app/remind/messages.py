"""Reminder text from prompts/reminders/reminders.yaml: data, validated when first loaded."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict

from app.errors import ConfigError
from app.knowledge.files import validate_file
from app.remind.events import REMINDER_KINDS, ReminderKind

_environment = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
)


class KindTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    subject: str
    body: str


class RemindersFile(BaseModel):
    """The schema of prompts/reminders/reminders.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    signature: str
    kinds: dict[ReminderKind, KindTemplate]


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def reminders_file(prompts_dir: Path) -> Path:
    return prompts_dir / "reminders" / "reminders.yaml"


@lru_cache(maxsize=4)
def load_templates(path: Path) -> RemindersFile:
    """Parsed and compiled once per path; a broken file names itself (ConfigError)."""
    data = validate_file(RemindersFile, path)
    missing = [kind for kind in REMINDER_KINDS if kind not in data.kinds]
    if missing:
        raise ConfigError(f"{path}: field `kinds`: missing {missing}")
    for template in data.kinds.values():
        _environment.from_string(template.subject)
        _environment.from_string(template.body)
    return data


def render_message(*, prompts_dir: Path, kind: ReminderKind, values: dict[str, Any]) -> Message:
    """Subject on one line; body with the signature under it."""
    templates = load_templates(reminders_file(prompts_dir))
    template = templates.kinds[kind]
    subject = " ".join(_environment.from_string(template.subject).render(**values).split())
    body = _environment.from_string(template.body).render(**values).strip()
    return Message(subject=subject, body=f"{body}\n\n{templates.signature}\n")
