"""Jinja2 environment with the filters the Japanese pages need and the shared labels."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.templating import Jinja2Templates

from app.core import formatting
from app.core.vocabulary import Vocabulary
from app.ingest.models import FIELD_LIMITS


def _japanese_date(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else "―"


def _period(value: str | None) -> str:
    if not value:
        return "期間なし"
    year, month = value.split("-")
    return f"{year}年{int(month)}月"


def make_templates(directory: Path, *, vocabulary: Vocabulary) -> Jinja2Templates:
    """Labels come from the knowledge vocabulary, so a new document kind needs no code."""
    templates = Jinja2Templates(directory=str(directory))
    templates.env.filters["jdate"] = _japanese_date
    templates.env.filters["period"] = _period
    # Numbers: 1,650,000円 / 165万円 (`man_yen`), 64.5% (`pct`), a KPI by its unit (`kpi`).
    templates.env.filters["yen"] = formatting.yen
    templates.env.filters["man_yen"] = formatting.man_yen
    templates.env.filters["num"] = formatting.number
    templates.env.filters["pct"] = formatting.percent
    templates.env.filters["kpi"] = formatting.kpi_value
    templates.env.filters["plain"] = formatting.plain
    templates.env.globals["kind_labels"] = vocabulary.document_kinds
    templates.env.globals["draft_labels"] = vocabulary.draft_kinds
    # Form `maxlength`s are the API's limits (one definition in app/ingest/models.py).
    templates.env.globals["field_limits"] = FIELD_LIMITS
    return templates
