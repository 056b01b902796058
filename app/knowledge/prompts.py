"""Prompt registry: YAML files with declared variables and a version, rendered strictly.

Prompts are data, not Python strings, so that wording changes are reviewed as text, every
file is validated and rendered by a test, and each stored result can name the exact prompt
set that produced it (`PromptRegistry.version`).
"""

from __future__ import annotations

import hashlib
import json
import keyword
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import jinja2
import yaml
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.errors import ConfigError

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
"""`prompts/` at the repository root (the app runs from a source checkout)."""

Role = Literal["system", "user"]
Messages = list[tuple[Role, str]]
"""(role, content) pairs: LangChain chat models accept them as input unchanged."""


def _file_error(path: Path, field_name: str, problem: str) -> ConfigError:
    """A broken prompt file, naming the file and the field so the fix is obvious."""
    return ConfigError(f"{path}: field `{field_name}`: {problem}", path=path, field_name=field_name)


class _PromptFile(BaseModel):
    """The schema of one `prompts/<name>.yaml` file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = Field(min_length=1)
    variables: list[str]
    system: str = Field(min_length=1)
    user: str = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, value: object) -> object:
        # YAML reads `version: 1.0` as a float; demand quotes so "1.10" never becomes 1.1.
        if not isinstance(value, str):
            raise ValueError('must be a quoted string, e.g. version: "1"')
        return value

    @field_validator("variables")
    @classmethod
    def _variables_are_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name.isidentifier() or keyword.iskeyword(name):
                raise ValueError(f"{name!r} is not a valid variable name")
        if len(set(value)) != len(value):
            raise ValueError("contains duplicates")
        return value


_environment = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # prompts are plain text; escaping is evidence.fence_passages' job
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class PromptTemplate:
    """One validated prompt; `render` refuses missing and undeclared variables."""

    name: str
    version: str
    description: str
    variables: tuple[str, ...]
    system: str
    user: str
    path: Path
    _compiled: tuple[jinja2.Template, jinja2.Template] = field(repr=False, compare=False)

    @property
    def digest(self) -> str:
        """Content hash, so an edit without a version bump still changes stored versions."""
        payload = json.dumps(
            [self.name, self.version, list(self.variables), self.system, self.user],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def fingerprint(self) -> str:
        """`name@version+digest8`, short enough to store next to every result."""
        return f"{self.name}@{self.version}+{self.digest[:8]}"

    def render(self, **variables: object) -> Messages:
        """Render system and user messages; every declared variable must be given, no others."""
        declared = set(self.variables)
        missing = sorted(declared - variables.keys())
        unknown = sorted(variables.keys() - declared)
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing variables {missing}")
            if unknown:
                parts.append(f"undeclared variables {unknown}")
            raise ConfigError(
                f"prompt {self.name!r}: {' and '.join(parts)} (declared: {sorted(declared)})"
            )
        system_template, user_template = self._compiled
        try:
            return [
                ("system", system_template.render(**variables).strip()),
                ("user", user_template.render(**variables).strip()),
            ]
        except jinja2.UndefinedError as error:  # e.g. an attribute missing on a given object
            raise ConfigError(f"prompt {self.name!r}: {error.message}") from error


@dataclass(frozen=True)
class PromptRegistry:
    """All prompts of one directory, looked up by name."""

    prompts: Mapping[str, PromptTemplate]

    def get(self, name: str) -> PromptTemplate:
        try:
            return self.prompts[name]
        except KeyError:
            raise ConfigError(f"unknown prompt {name!r}; known: {sorted(self.prompts)}") from None

    def __iter__(self) -> Iterator[PromptTemplate]:
        return iter(self.prompts[name] for name in sorted(self.prompts))

    def __len__(self) -> int:
        return len(self.prompts)

    @property
    def version(self) -> str:
        """Stable hash of every prompt's name, version and content; store it with results."""
        lines = "\n".join(f"{prompt.fingerprint}:{prompt.digest}" for prompt in self)
        return "prompts-" + hashlib.sha256(lines.encode("utf-8")).hexdigest()[:16]


def _compile(path: Path, field_name: str, source: str) -> tuple[jinja2.Template, set[str]]:
    try:
        parsed = _environment.parse(source)
        return _environment.from_string(source), meta.find_undeclared_variables(parsed)
    except jinja2.TemplateSyntaxError as error:
        raise _file_error(
            path, field_name, f"template syntax error on line {error.lineno}: {error.message}"
        ) from error


def load_prompt(path: Path) -> PromptTemplate:
    """Load and validate one prompt file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise _file_error(path, "(yaml)", f"not valid YAML: {error}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise _file_error(path, "(file)", f"cannot be read: {error}") from error
    if not isinstance(raw, dict):
        raise _file_error(path, "(root)", "must be a mapping of fields")
    try:
        data = _PromptFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field_name = ".".join(str(part) for part in first["loc"]) or "(root)"
        raise _file_error(path, field_name, first["msg"]) from error
    if data.name != path.stem:
        raise _file_error(path, "name", f"{data.name!r} must match the file name {path.stem!r}")

    system_template, system_names = _compile(path, "system", data.system)
    user_template, user_names = _compile(path, "user", data.user)
    declared = set(data.variables)
    for field_name, used in (("system", system_names), ("user", user_names)):
        undeclared = sorted(used - declared)
        if undeclared:
            raise _file_error(
                path, field_name, f"uses undeclared variables {undeclared}; add them to `variables`"
            )
    unused = sorted(declared - system_names - user_names)
    if unused:
        raise _file_error(path, "variables", f"declared but never used: {unused}")

    return PromptTemplate(
        name=data.name,
        version=data.version,
        description=data.description,
        variables=tuple(data.variables),
        system=data.system,
        user=data.user,
        path=path,
        _compiled=(system_template, user_template),
    )


def load_prompts(directory: Path) -> PromptRegistry:
    """Load every `*.yaml` in `directory`; fails on the first broken file."""
    if not directory.is_dir():
        raise ConfigError(f"prompt directory {directory} does not exist")
    prompts: dict[str, PromptTemplate] = {}
    for path in sorted(directory.glob("*.yaml")):
        prompt = load_prompt(path)
        prompts[prompt.name] = prompt
    return PromptRegistry(prompts=prompts)
