"""Chat metrics for scripts/evaluate.py (filled in by the chat feature)."""

from __future__ import annotations

from typing import Any

from app.container import Container


def evaluate_questions(
    *,
    container: Container,
    engagement_id: int,
    labels: dict[str, Any],
    document_ids: dict[int, str],
) -> dict[str, Any]:
    """Ask every `labels.questions` entry and return raw counts for `summarize_questions`."""
    return {}


def summarize_questions(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    return {}
