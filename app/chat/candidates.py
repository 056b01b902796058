"""What an extractive answer chooses from: the ranked sentences and the events they must name."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from app.chat.answers import Evidence, Rules
from app.chat.classify import Intent
from app.chat.ranking import MIN_TOPIC_CHARS, Scored, names_words, rank_units, term_weights
from app.chat.segments import Unit
from app.core.facts import vendor_core_name

NAMED_SECTION_SHARE = 0.75


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
        if not _rest_answers(intent, rest, missing, ranked, evidence, rules):
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


def named_section_first(intent: Intent, ranked: list[Scored]) -> list[Scored]:
    """「…にどう対応すると言っていますか」 and a 【対応】 heading in the best sentence's
    document: the section the question names answers it (its items follow the heading)."""
    best = ranked[0]
    for item in ranked[1:4]:
        unit = item.unit
        if (
            unit.is_heading
            and unit.document.id == best.unit.document.id
            and item.score >= best.score * NAMED_SECTION_SHARE
            and names_words(unit.tokens, intent)
        ):
            return [item, *(other for other in ranked if other is not item)]
    return ranked


def _rest_answers(
    intent: Intent,
    rest: Intent,
    missing: list[str],
    ranked: list[Scored],
    evidence: Evidence,
    rules: Rules,
) -> bool:
    """Whether the words the documents do use answer the question without the missing ones.

    The rest must name something besides the parties (「ベルコール・ジャパンの代表者」 is not
    answered by every sentence naming the vendor) and be covered well — or fairly well when
    the missing words weigh little (「…の時点で」「経歴」 are the asker's framing), except for
    a price asked of a thing no document names (「…の違約金はいくら」; calibrated on
    eval/qa/tune, holdout2 and holdout3; `thresholds` in knowledge/chat.yaml).
    """
    if not ranked or not ranked[0].topical:
        return False
    units = [u for d in evidence.documents for u in evidence.units.get(d.id, ())]
    vendor = vendor_core_name(evidence.engagement.vendor_name).lower()
    parties = _everywhere(units) | set(rules.tokens_of(vendor))
    if all(term in parties or term in vendor for term in rest.terms):
        return False
    thresholds = rules.chat.thresholds
    coverage = ranked[0].coverage
    if coverage >= thresholds.without_missing:
        return True
    weights = term_weights(intent, units, rules)
    share = sum(weights.get(term, 0.0) for term in missing) / (sum(weights.values()) or 1.0)
    asks_price = intent.quantity is not None and "jpy" in intent.quantity.kpi_units
    return (
        not asks_price
        and share <= thresholds.missing_share
        and coverage >= thresholds.without_minor_missing
    )


def _everywhere(units: list[Unit]) -> set[str]:
    """Tokens found in most of an engagement's documents (the parties' names, greetings)."""
    documents: dict[int, set[str]] = defaultdict(set)
    for unit in units:
        documents[unit.document.id] |= unit.tokens
    if len(documents) < 3:
        return set()
    counts: dict[str, int] = defaultdict(int)
    for tokens in documents.values():
        for token in tokens:
            counts[token] += 1
    return {token for token, count in counts.items() if count / len(documents) >= 0.6}


def missing_topics(intent: Intent, evidence: Evidence, rules: Rules) -> list[str]:
    """Nouns of the question that no document mentions at all (「住所」「違約金」).

    A question whose topic word appears nowhere is not answered from loosely related
    sentences; frame words and the words of a recognised event are exempt (「後任」 is
    answered by 「…に引き継ぎます」).
    """
    vocabulary: set[str] = set()
    texts: list[str] = []
    for document in evidence.documents:
        vocabulary |= evidence.titles.get(document.id, frozenset())
        for unit in evidence.units.get(document.id, ()):
            vocabulary |= unit.tokens
            texts.append(unit.normalized)
    # The tokenizer splits a word by its context (「カナメコール」 alone, 「要」「コール」 after
    # 株式会社): a word written in a document is not missing, however it was split there.
    written = "\n".join(texts)
    exempt = set(rules.chat.frame_set)
    if intent.kind == "who":
        # 「…側の窓口は誰？」: a role names what kind of person, and is answered by a name.
        exempt |= {token for word in rules.chat.people.roles for token in rules.tokens_of(word)}
    for key in intent.events:
        exempt |= rules.event_tokens.get(key, frozenset())
    return [
        noun
        for noun in intent.nouns
        if len(noun) >= MIN_TOPIC_CHARS
        and noun not in vocabulary
        and noun not in written
        and noun not in exempt
        and not rules.wording.get(noun) & vocabulary  # 「コスト」 where the documents say 費用
    ]
