"""How a sentence answers 「なぜ」 (the ranking's part for why-questions): it gives a reason
the question does not itself say, it is a table row (figures, never why they moved), or it is
a heading naming the causes (「■ 減少の要因」) whose items are the answer."""

from __future__ import annotations

from app.chat.answers import Rules
from app.chat.classify import Intent
from app.chat.segments import Unit

REASON_GIVEN = 0.12


def gives_reason(intent: Intent, unit: Unit, rules: Rules) -> bool:
    """「…が少なくなってきたためと考えております」: a reason word the question does not
    itself use (a sentence echoing 「原因」 back is not yet the cause)."""
    return intent.reason and any(
        p.search(unit.normalized) and not p.search(intent.normalized)
        for p in rules.chat.reason_regexes
    )


def reason_bonus(intent: Intent, unit: Unit, given: bool) -> float:
    """The score a why-question adds for a sentence giving the reason, or takes from a table
    row (which states the figures the question is about, not why they moved)."""
    if given:
        return REASON_GIVEN
    return -REASON_GIVEN if intent.reason and unit.is_table_row else 0.0


# The share of the question's words a document must hold for its 「■ 要因」 to be about them.
CAUSES_DOCUMENT_COVERAGE = 0.3


def heads_the_causes(intent: Intent, unit: Unit, rules: Rules, document_coverage: float) -> bool:
    """「■ 減少の要因」「■ 要因」 asked why the figure moved: a heading naming causes, in a
    document about the question's topic."""
    return (
        intent.reason
        and unit.is_heading
        and document_coverage >= CAUSES_DOCUMENT_COVERAGE
        and any(noun in unit.normalized for noun in rules.chat.reason.cause_nouns)
    )
