"""The context of an external draft: every passage the vendor did not send removed.

Pure code over a built `DraftContext` (`app/draft/context.py`); applied once there, so the
offline templates and the LLM see the same restricted passages.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from app.draft.findings import Finding

if TYPE_CHECKING:
    from app.draft.context import DraftContext


def restricted(context: DraftContext) -> DraftContext:
    """The context of an external draft: every passage not sent by the vendor removed."""
    keep = context.readers.keep

    def findings(items: list[Finding]) -> list[Finding]:
        return [Finding(f.text, keep(f.evidence)) for f in items]

    summary = context.kpi_summary
    return replace(
        context,
        kpi_summary=Finding(summary.text, keep(summary.evidence)) if summary else None,
        risks=findings(context.risks),
        questions=findings(context.questions),
        open_items=[f for f in findings(context.open_items) if f.evidence],
        internal_factors=[],
        spoken_checks=[],
        decisions=[],  # our minutes: the vendor reads what was agreed from the agenda
        contributions=keep(context.contributions),
        funnel_leak=None,
        conditions=[replace(c, evidence=keep(c.evidence)) for c in context.conditions],
        checks=[],
        signals=[],
        proposals=[
            replace(p, reasons=[(key, keep(evidence)) for key, evidence in p.reasons])
            for p in context.proposals
        ],
        blocks=[replace(b, findings=findings(b.findings)) for b in context.blocks],
    )
