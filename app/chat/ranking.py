"""Sentence ranking: how well each unit of an engagement's documents answers a question."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from app.analyse.cues import Sentence, is_injection
from app.chat.answers import (
    ChunkHit,
    Evidence,
    Rules,
)
from app.chat.classify import Intent
from app.chat.clauses import premise_clause
from app.chat.dates import find_dates, mentions_day, mentions_month, names_a_period
from app.chat.dense import relative_similarity
from app.chat.reasons import gives_reason, heads_the_causes, reason_bonus
from app.chat.segments import Unit, senders
from app.core.facts import DocumentFacts, EngagementFacts, author_of, vendor_core_name
from app.core.text import has_company_affix
from app.knowledge.chat import Thresholds

SUBJECT_AUTHOR_BONUS = 0.15
NAMED_DOCUMENT_BONUS = 0.15
HEADING_TOPIC = 0.9
TITLE_CREDIT = 0.8
MIN_TOPIC_CHARS = 2
UBIQUITOUS_WEIGHT = 0.3
DOCUMENT_WEIGHT = 0.15
PREMISE_DOCUMENT_WEIGHT = 0.4
LIST_INTRO = re.compile(r"([:：]$|以下|次の|下記)")


@dataclass(frozen=True)
class Scored:
    unit: Unit
    score: float
    coverage: float
    event: bool
    topical: bool = True  # a word other than a frame word (内容, 名前 …) matched
    dense: float = 0.0  # cosine to the question (0 while the sentence vectors are not ready)
    reason: bool = False  # gives a reason the question does not itself say (ため, ので …)


def _idf(units: Sequence[Unit]) -> dict[str, float]:
    counts: dict[str, int] = defaultdict(int)
    for unit in units:
        for token in unit.tokens:
            counts[token] += 1
    total = len(units)
    return {token: math.log(1 + total / (1 + count)) for token, count in counts.items()}


def term_weights(
    intent: Intent, units: Sequence[Unit], rules: Rules, parties: frozenset[str] = frozenset()
) -> dict[str, float]:
    """Rare words weigh more; words that frame the question (内容, 理由) count half, and
    words found in most documents or naming a party (「セールスポッドの…」) little."""
    idf = _idf(units)
    ceiling = math.log(1 + len(units))
    frame = rules.chat.frame_set
    documents: dict[int, set[str]] = defaultdict(set)
    for unit in units:
        documents[unit.document.id] |= unit.tokens
    count = len(documents) or 1

    def everywhere(term: str) -> bool:
        return count >= 3 and sum(term in tokens for tokens in documents.values()) / count >= 0.6

    nouns = set(intent.nouns)

    def unseen_verb(term: str) -> bool:
        # A verb no document uses is the asker's wording (掲げる, 申し入れる), not the topic.
        return term not in idf and term not in nouns

    return {
        term: idf.get(term, ceiling)
        * (0.5 if term in frame or unseen_verb(term) else 1.0)
        * (UBIQUITOUS_WEIGHT if everywhere(term) or term in parties else 1.0)
        for term in intent.terms
    }


def document_coverage(intent: Intent, evidence: Evidence, rules: Rules) -> dict[int, float]:
    """Share of the question's weighted words that appear anywhere in each document."""
    units = [u for d in evidence.documents for u in evidence.units.get(d.id, ())]
    weights = term_weights(intent, units, rules)
    total = sum(weights.values()) or 1.0
    coverage: dict[int, float] = {}
    for document in evidence.documents:
        tokens: set[str] = set(evidence.titles.get(document.id, frozenset()))
        for unit in evidence.units.get(document.id, ()):
            tokens |= unit.tokens
        coverage[document.id] = sum(w for t, w in weights.items() if t in tokens) / total
    return coverage


def _chunk_rank(unit: Unit, chunks: Sequence[ChunkHit]) -> int | None:
    for rank, chunk in enumerate(chunks):
        if (
            chunk.document_id == unit.document.id
            and chunk.start < unit.end
            and unit.start < chunk.end
        ):
            return rank
    return None


def candidate_documents(intent: Intent, evidence: Evidence) -> list[DocumentFacts]:
    documents = [d for d in evidence.documents if d.date <= evidence.as_of]
    if (intent.asks_document_date or intent.asks_document_sender) and intent.document_kind:
        # 「…のメールはいつ送られましたか」: only a document of that kind can be the answer.
        of_kind = [d for d in documents if d.kind == intent.document_kind]
        documents = of_kind or documents
    if intent.time.meeting_rank is not None:
        meetings = sorted(
            (d for d in documents if d.kind == "meeting_notes"), key=lambda d: (d.date, d.id)
        )
        if len(meetings) >= intent.time.meeting_rank:
            return [meetings[-intent.time.meeting_rank]]
    return documents


def rank_units(intent: Intent, evidence: Evidence, rules: Rules) -> list[Scored]:
    """Every unit of the candidate documents, scored for how well it answers the question."""
    documents = candidate_documents(intent, evidence)
    units = [unit for d in documents for unit in evidence.units.get(d.id, ())]
    if not units or not (intent.terms or intent.asks_document_date):
        return []
    vendor = vendor_core_name(evidence.engagement.vendor_name)
    all_weights = term_weights(intent, units, rules, rules.tokens_of(vendor))
    # 「…の件の後、どう対応した？」: the context clause picks the document, the ask the unit.
    weights = {t: w for t, w in all_weights.items() if t not in intent.premise}
    # The month named and the figures stated (「2月度にアポが33件まで伸びた要因は？」) are
    # part of what is asked: a sentence of that month, or stating that figure, covers them.
    asked_figures = _figures(intent.normalized)
    if intent.premise:  # 「目安の20件を超えていたのに、なぜ…」: known, not asked
        asked_figures -= _figures(premise_clause(intent.normalized, rules.chat))
    constraint_weight = sum(weights.values()) / len(weights) if weights else 1.0
    scoped = bool(intent.time.periods) and intent.kind not in ("when",)
    total = (sum(weights.values()) or 1.0) + constraint_weight * (
        int(scoped) + int(bool(asked_figures))
    )
    document_weight = PREMISE_DOCUMENT_WEIGHT if intent.premise else DOCUMENT_WEIGHT
    document_tokens: dict[int, set[str]] = defaultdict(set)
    title_tokens: dict[int, frozenset[str]] = {}
    line_tokens: dict[tuple[int, int], set[str]] = defaultdict(set)
    for unit in units:
        document_tokens[unit.document.id] |= unit.tokens
        line_tokens[(unit.document.id, unit.line)] |= unit.tokens
    chat = rules.chat
    for document in documents:
        title_tokens[document.id] = evidence.titles.get(document.id, frozenset())
    all_total = sum(all_weights.values()) or 1.0
    document_coverage = {
        document_id: sum(w for t, w in all_weights.items() if t in tokens) / all_total
        for document_id, tokens in document_tokens.items()
    }
    event_headings = [
        heading.lower() for key in intent.events for heading in chat.events[key].headings
    ]
    sent_by = {d.id: senders(evidence.units.get(d.id, ())) for d in documents}
    named_documents = _named_documents(intent, documents, evidence, chat.frame_set)
    subject_author = _subject_author(intent, evidence.engagement)
    authors = {d.id: author_of(d, evidence.engagement.vendor_name) for d in documents}
    asked_names = set(intent.names)
    relative = relative_similarity(units, evidence.similarity, chat.thresholds.dense_from_quantile)
    # 「7月分の月次報告が届いたのは」: the report's month (分, 度), not the month it was sent in
    held_in = intent.asks_document_date and not names_a_period(intent.normalized, intent.time)
    dense_weight = chat.thresholds.dense_weight
    # The stored analysis's evidence of the signal an event names is about that event too:
    # its detectors read wording the event's patterns do not (「御社の名刺リストが…」).
    cited_for = {
        key: evidence.analysis.citations_of(signal) if evidence.analysis else []
        for key in intent.events
        if (signal := chat.events[key].signal) is not None
    }
    scored: list[Scored] = []
    for unit in units:
        sentence = Sentence(
            unit.document, authors[unit.document.id], unit.start, unit.end, unit.normalized
        )
        if is_injection(sentence, rules.injection):
            continue  # an instruction planted in a document is never an answer (as in analysis)
        events = [
            key
            for key in intent.events
            if rules.event_matches(key, unit.normalized)
            or any(
                c.overlaps(unit.document.id, unit.start, unit.end) for c in cited_for.get(key, ())
            )
        ]
        synonyms: set[str] = set()
        for key in events:
            synonyms |= rules.event_tokens.get(key, frozenset())
        line = line_tokens[(unit.document.id, unit.line)]
        matched = 0.0
        topical = False
        for term, weight in weights.items():
            credit = 0.0
            if term in unit.tokens or term in synonyms:
                credit = 1.0
            elif len(term) >= MIN_TOPIC_CHARS + 1 and term in unit.normalized:
                credit = 1.0  # written there, split otherwise by the tokenizer
            elif rules.wording.get(term) & unit.tokens:
                credit = rules.wording.credit  # 「窓口」 and 「担当の…」: another's word for it
            elif term in unit.heading_tokens:
                credit = 0.6
            elif term in line:
                credit = 0.5
            elif term in title_tokens.get(unit.document.id, frozenset()):
                credit = TITLE_CREDIT
            matched += credit * weight
            topical = topical or (credit > 0 and term not in chat.frame_set)
        if scoped and any(
            unit.document.month == period or mentions_month(unit.normalized, period)
            for period in intent.time.periods
        ):
            matched += constraint_weight
        if asked_figures and asked_figures & _figures(unit.normalized):
            matched += constraint_weight
        coverage = matched / total
        score = coverage + document_weight * document_coverage.get(unit.document.id, 0.0)
        score += dense_weight * relative.get((unit.document.id, unit.start), 0.0)
        rank = _chunk_rank(unit, evidence.chunks)
        if rank is not None:
            score += 0.2 / (1 + 0.5 * rank)
        if events:
            score += 0.2
        if event_headings and any(h in unit.heading for h in event_headings):
            score += 0.15
        if intent.document_kind and unit.document.kind == intent.document_kind:
            score += 0.08
            if any(
                p in (unit.document.month, unit.document.date.strftime("%Y-%m"))
                for p in intent.time.periods
            ):
                score += NAMED_DOCUMENT_BONUS  # 「9月の定例で…」: that month's minutes
        if unit.document.id in named_documents:
            score += NAMED_DOCUMENT_BONUS  # 「キックオフで…」: the question names the document
        if asked_names & sent_by[unit.document.id]:
            score += 0.12  # 「藤井課長が送ったメール」: written by the person named
        if subject_author is not None and authors[unit.document.id] == subject_author:
            score += SUBJECT_AUTHOR_BONUS
        for period in intent.time.periods:
            if unit.document.month == period:
                score += 0.12
            if held_in and unit.document.date.strftime("%Y-%m") == period:
                score += 0.2  # 「9月の定例はいつ開かれた？」: held in September
            if mentions_month(unit.normalized, period):
                score += 0.12
        for day in intent.time.days:
            if unit.document.date == day:
                score += 0.25
            if mentions_day(unit.normalized, day):
                score += 0.2
        score += _answer_type_bonus(intent, unit, rules, asked_names)
        given = gives_reason(intent, unit, rules)
        score += reason_bonus(intent, unit, given)
        if any(pattern.search(unit.normalized) for pattern in chat.boilerplate_regexes):
            score -= 0.3
        if unit.is_heading:
            # A heading that names the whole topic (【再発防止策】) introduces the answer.
            names_topic = intent.kind in ("what", "yesno") and (
                coverage >= HEADING_TOPIC or names_words(unit.tokens, intent)
            )
            if heads_the_causes(intent, unit, rules, document_coverage.get(unit.document.id, 0)):
                names_topic = topical = True  # its items are about the topic of its document
            score += 0.15 if names_topic else -0.15
        if intent.kind not in ("who", "when") and chat.header_regex.search(unit.normalized):
            score -= 0.2
        if len(unit.normalized) < 8:
            score -= 0.1
        cosine = evidence.similarity.get((unit.document.id, unit.start), 0.0)
        scored.append(
            Scored(unit, score, coverage, bool(events), topical or bool(events), cosine, given)
        )
    scored.sort(key=lambda s: (-s.score, s.unit.document.date, s.unit.index))
    return scored


def names_words(tokens: frozenset[str], intent: Intent) -> bool:
    """Every content word of a heading is a word of the question: 「引継ぎ漏れとは何ですか」
    names 「2. 引継ぎ漏れ」, 「どう対応する？」 names 「【対応】」."""
    words = {t for t in tokens if len(t) >= 2 and not t.isdigit()}
    return bool(words) and words <= set(intent.terms)


_FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?\s*(?:件|社|名|人|%|円|万円|回|倍)")


def _figures(text: str) -> frozenset[str]:
    """Figures with their unit (「33件」「12.5%」), spaces and commas dropped."""
    return frozenset(re.sub(r"[\s,]", "", match.group(0)) for match in _FIGURE.finditer(text))


_COMPANY_QUESTION = re.compile(r"(会社|企業|どこ|社名|取引先)")


def asks_company(intent: Intent) -> bool:
    """「どの会社」「どこ」: a who-question answered by a company, not a person."""
    return _COMPANY_QUESTION.search(intent.normalized) is not None


def naming(intent: Intent, ranked: Sequence[Scored], thresholds: Thresholds) -> list[Scored]:
    """A who-question about a person is answered by a sentence that names someone other
    than the people the question itself names; the best such one, if it passes."""
    if intent.kind != "who" or asks_company(intent) or intent.names:
        return list(ranked)  # 「石田さんの下の名前は？」 asks about the person named
    asked = set(intent.names)
    named = [item for item in ranked if item.unit.names - asked]
    return named if named and is_found(named[0], thresholds) else list(ranked)


def _named_documents(
    intent: Intent,
    documents: Sequence[DocumentFacts],
    evidence: Evidence,
    frame: frozenset[str],
) -> set[int]:
    """Documents whose title holds a question word that few titles hold (キックオフ, 経営会議)."""
    titles = {d.id: evidence.titles.get(d.id, frozenset()) for d in documents}
    named: set[int] = set()
    for term in intent.terms:
        if term in frame:
            continue
        holders = [document_id for document_id, tokens in titles.items() if term in tokens]
        if holders and len(holders) * 3 <= len(titles):
            named.update(holders)
    return named


def _subject_author(intent: Intent, engagement: EngagementFacts) -> str | None:
    """「代行会社は…断りましたか」「代行会社からの提案」: what one side itself did."""
    if intent.party is not None:
        return intent.party
    core = vendor_core_name(engagement.vendor_name).lower()
    folded = intent.normalized
    # 「ベルコールは…」 for ベルコール・ジャパン: people shorten the name to its first part.
    for name in {core, core.split("・")[0]}:
        if (
            len(name) >= 3
            and folded.startswith(name)
            and folded[len(name) : len(name) + 1] in ("は", "が")
        ):
            return "vendor"
    return None


def _answer_type_bonus(intent: Intent, unit: Unit, rules: Rules, asked_names: set[str]) -> float:
    bonus = 0.0
    if intent.kind == "when" and not intent.asks_document_date:
        dates = find_dates(unit.normalized)
        with_day = any(d.day is not None for d in dates)
        if intent.wants_day:
            bonus += 0.4 if with_day else 0.15 if dates else 0.0
        elif dates:
            bonus += 0.25
        markers = rules.chat.dates.effective_markers
        if any(unit.normalized[d.end : d.end + 4].startswith(tuple(markers)) for d in dates):
            bonus += 0.1
    if intent.kind == "who":
        if asks_company(intent):
            bonus += 0.15 if has_company_affix(unit.normalized) else 0.0
        elif unit.names - asked_names:
            bonus += 0.2
    if intent.kind == "quantity" and intent.quantity is not None:
        bonus += 0.2 if intent.quantity.regex.search(unit.normalized) else -0.15
    if intent.kind == "what" and LIST_INTRO.search(unit.normalized):
        bonus += 0.1  # 「以下をお願いします：」 introduces the answer
    if intent.reason and any(p.search(unit.normalized) for p in rules.chat.reason_regexes):
        bonus += 0.08
    return bonus


def is_found(best: Scored, thresholds: Thresholds) -> bool:
    """The sentence answers when it covers enough of the question (thresholds in
    knowledge/chat.yaml, calibrated on the tune questions)."""
    if not best.topical:
        return False  # only 「名前」「内容」 matched: the question's topic is not there
    return (
        best.coverage >= thresholds.found_coverage
        or ((best.event or best.reason) and best.coverage >= thresholds.found_with_event)
        # Close in meaning though worded otherwise (dense similarity, app/chat/dense.py).
        or (best.dense >= thresholds.dense_found and best.coverage >= thresholds.dense_min_coverage)
    )
