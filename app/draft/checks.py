"""What a stored or edited draft is checked for: required headings, markers, the memo's decision.

Pure code: the document texts are passed in, so the page, the preview and the evaluation
script apply the same checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import get_args

from app.analyse.models import DECISION_LABELS, DecisionKind
from app.core.vocabulary import DraftKind
from app.draft.citations import DraftCitation, citation_problems, missing_sections
from app.knowledge.drafts import DraftConfig

DECISION_BY_LABEL: dict[str, DecisionKind] = {
    DECISION_LABELS[kind]: kind for kind in get_args(DecisionKind)
}
# Longest label first, so 「更新しない」 is never read as 「更新」.
DECISION_LINE = re.compile(
    r"判断：\s*\**\s*("
    + "|".join(re.escape(label) for label in sorted(DECISION_BY_LABEL, key=len, reverse=True))
    + ")"
)


def memo_decision(markdown: str) -> DecisionKind | None:
    """The decision the memo's 「判断：」 line states, if it has one."""
    match = DECISION_LINE.search(markdown)
    return DECISION_BY_LABEL.get(match.group(1)) if match else None


def draft_problems(
    *,
    kind: DraftKind,
    markdown: str,
    citations: Sequence[DraftCitation],
    texts: Mapping[int, str],
    config: DraftConfig,
    decision: DecisionKind | None,
) -> list[str]:
    """Japanese warnings; `texts` holds the cited documents' text by id."""
    problems = [
        f"必須の見出し「{title}」がありません。"
        for title in missing_sections(markdown, config.kind(kind).required_sections)
    ]
    problems += citation_problems(markdown, citations, texts)
    if kind == "memo" and memo_decision(markdown) is None:
        problems.append("「判断：」の行がありません。")
    elif kind == "memo" and decision is not None and memo_decision(markdown) != decision:
        problems.append("本文の判断と記録された判断が一致しません。")
    return problems
