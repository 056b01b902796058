"""Docs stay honest: every setting is in the README's settings table."""

from __future__ import annotations

import re
from pathlib import Path

from app.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def _documented_settings() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first_column = line.split("|")[1]
        names.update(re.findall(r"`([A-Z0-9_]+)`", first_column))
    return names


def test_every_setting_is_in_the_readme_table() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    missing = sorted(fields - _documented_settings())
    assert not missing, f"README settings table lacks {missing}"


def test_the_readme_table_names_no_setting_that_does_not_exist() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    assert _documented_settings() <= fields
