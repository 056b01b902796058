"""Draft metrics for scripts/evaluate.py (filled in by the drafting feature)."""

from __future__ import annotations

from typing import Any

from app.container import Container


def evaluate_drafts(
    *,
    container: Container,
    engagement_id: int,
    labels: dict[str, Any],
    document_ids: dict[int, str],
) -> dict[str, Any]:
    """Generate the drafts for one scenario and return raw counts for `summarize_drafts`."""
    return {}


def summarize_drafts(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    return {}
