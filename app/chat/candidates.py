"""What an extractive answer chooses from: the ranked sentences and the events they must name."""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.chat.answers import Evidence, Rules
from app.chat.classify import Intent
from app.chat.ranking import Scored, missing_topics, rank_units


@dataclass(frozen=True)
class Candidates:
    """What the extractive answer chooses from: the ranked units, or the reason there is
    nothing to choose."""

    intent: Intent
    ranked: list[Scored]
    required: list[str]
    missing: tuple[str, ...] = ()


def extractive_candidates(intent: Intent, evidence: Evidence, rules: Rules) -> Candidates:
    """The ranking and the required-event filter."""
    missing = missing_topics(intent, evidence, rules)
    if missing:
        # A word no document uses may be only the asker's wording (「案内」「希望」): the
        # rest of the question answers it if a sentence covers that rest clearly.
        rest = replace(intent, terms=tuple(t for t in intent.terms if t not in missing))
        ranked = rank_units(rest, evidence, rules) if rest.terms else []
        thresholds = rules.chat.thresholds
        if not ranked or not ranked[0].topical or ranked[0].coverage < thresholds.without_missing:
            return Candidates(intent, [], [], tuple(missing))
        intent = rest
    ranked = rank_units(intent, evidence, rules)
    # 「担当の交代はいつ？」 needs a sentence about the change; 「引継ぎ漏れとは何？」 asks what
    # went wrong around it, which a sentence about the change itself rarely says.
    required = [
        key for key in intent.events if rules.chat.events[key].required and intent.kind != "what"
    ]
    if required and not (intent.asks_document_date or intent.asks_document_sender):
        ranked = [item for item in ranked if item.event]
    return Candidates(intent, ranked, required)
