"""The one reader for knowledge and prompt files: YAML in, a validated model out.

Every failure is a `ConfigError` that names the file and the field, so a broken file stops
start-up with a message the person who edited it can act on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from app.errors import ConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)


def _yaml_problem(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        return f"{error.problem_mark.line + 1}行目: {error.problem}"
    return str(error)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, or a `ConfigError` saying why the file cannot be one."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(f"設定ファイルがありません: {path}", path=path) from error
    except OSError as error:
        raise ConfigError(f"{path}: 読めません（{error}）", path=path) from error
    except yaml.YAMLError as error:
        raise ConfigError(
            f"{path}: YAML として読めません（{_yaml_problem(error)}）", path=path
        ) from error
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: 先頭はマッピング（key: value）である必要があります",
            path=path,
            field_name="(root)",
        )
    return data


def validation_error(path: Path, error: ValidationError) -> ConfigError:
    """The first problem of a failed validation, naming the file and the dotted field."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    if not field:  # a check across fields: its message names them
        return ConfigError(f"{path}: {message}", path=path)
    return ConfigError(f"{path}: 項目 {field} が不正です（{message}）", path=path, field_name=field)


def validate_file(model: type[ModelT], path: Path) -> ModelT:
    """Read `path` and validate it as `model`."""
    data = read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_error(path, error) from error
