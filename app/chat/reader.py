"""A learned re-ranker over (question, candidate sentence) pairs: the question-independent reader.

`rank_units` scores every unit by hand-weighted evidence (the question's words, events,
periods, answer types). Those weights were tuned on one author's questions; other people's
wording defeats them. The reader takes the best candidates of that ranking and re-orders them
with a logistic model over general features of the pair — the hand score and its rank, the
dense similarity within the engagement, character n-gram overlap after NFKC (no tokenizer
needed, so a paraphrase sharing 費用 with 費用対効果 still counts), whether the sentence has the
shape of the answer asked (a date, a number with the unit asked, a name, a reason), the
period, the hybrid retriever's chunk rank. Its probability also decides 'found': a
candidate the model is confident about answers even when the word coverage rule would not.

The model is data (`knowledge/chat_reader.yaml`), written by `scripts/train_reader.py` from
the tune bank and the dev scenarios' questions only; no holdout bank is read to build it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace

from app.chat.answers import ChunkHit, Evidence, Rules
from app.chat.classify import Intent
from app.chat.dates import find_dates, mentions_month
from app.chat.ranking import Scored
from app.chat.reader_model import ReaderModel
from app.chat.segments import Unit
from app.core.text import has_company_affix

_HIRAGANA = re.compile(r"^[\u3040-\u309f]+$")
_PUNCT = re.compile(r"[\s、。，．,.!?！？「」『』()（）【】・:：]")


def _question_text(intent: Intent, endings: Sequence[str]) -> str:
    text = _PUNCT.sub("", intent.normalized)
    for ending in sorted(endings, key=len, reverse=True):
        if text.endswith(ending):
            text = text[: -len(ending)]
            break
    return text


def _grams(text: str, n: int) -> set[str]:
    """Character n-grams that are not hiragana only (those are endings and particles)."""
    text = _PUNCT.sub("", text)
    return {
        text[i : i + n] for i in range(len(text) - n + 1) if not _HIRAGANA.match(text[i : i + n])
    }


def _overlap(question: set[str], unit: set[str]) -> float:
    return len(question & unit) / len(question) if question else 0.0


def _shape(intent: Intent, unit: Unit, rules: Rules) -> float:
    """Does the sentence hold what the question's class asks for?"""
    text = unit.normalized
    if intent.kind == "when":
        dates = find_dates(text)
        return 1.0 if any(d.day is not None for d in dates) else 0.5 if dates else 0.0
    if intent.kind == "quantity" and intent.quantity is not None:
        return 1.0 if intent.quantity.regex.search(text) else 0.0
    if intent.kind == "who":
        return 1.0 if unit.names or has_company_affix(text) else 0.0
    if intent.reason:
        return 1.0 if any(p.search(text) for p in rules.chat.reason_regexes) else 0.0
    return 0.0


def _chunk(unit: Unit, chunks: Sequence[ChunkHit]) -> float:
    for rank, chunk in enumerate(chunks):
        if (
            chunk.document_id == unit.document.id
            and chunk.start < unit.end
            and unit.start < chunk.end
        ):
            return 1.0 / (1 + rank)
    return 0.0


def features(
    intent: Intent,
    ranked: Sequence[Scored],
    evidence: Evidence,
    rules: Rules,
    endings: Sequence[str],
) -> list[list[float]]:
    """One row of FEATURES per candidate, in the order given."""
    if not ranked:
        return []
    question = _question_text(intent, endings)
    q2, q3 = _grams(question, 2), _grams(question, 3)
    cosines = [evidence.similarity.get((s.unit.document.id, s.unit.start), 0.0) for s in ranked]
    pool = [
        evidence.similarity[key]
        for key in ((u.document.id, u.start) for units in evidence.units.values() for u in units)
        if key in evidence.similarity
    ]
    mean = sum(pool) / len(pool) if pool else 0.0
    spread = math.sqrt(sum((c - mean) ** 2 for c in pool) / len(pool)) if pool else 0.0
    best_cosine = max(pool, default=0.0)
    top = ranked[0].score
    rows: list[list[float]] = []
    for rank, (item, cosine) in enumerate(zip(ranked, cosines, strict=True)):
        unit = item.unit
        has_dense = bool(pool) and cosine > 0.0
        period = any(
            unit.document.month == p or mentions_month(unit.normalized, p)
            for p in intent.time.periods
        )
        rows.append(
            [
                item.score,
                item.coverage,
                1.0 / (1 + rank),
                item.score - top,
                (cosine - mean) / spread if has_dense and spread > 0 else 0.0,
                1.0 if has_dense and cosine >= best_cosine - 1e-6 else 0.0,
                _overlap(q2, _grams(unit.normalized, 2)),
                _overlap(q3, _grams(unit.normalized, 3)),
                _shape(intent, unit, rules),
                float(item.event),
                _chunk(unit, evidence.chunks),
                float(period),
                float(unit.is_heading),
                float(unit.is_table_row),
                math.log1p(len(unit.normalized)) / 5.0,
                float(item.topical),
            ]
        )
    return rows


def rerank(
    intent: Intent, ranked: Sequence[Scored], evidence: Evidence, rules: Rules, model: ReaderModel
) -> tuple[list[Scored], float]:
    """The best `top_k` candidates re-ordered by the reader (each carries its probability in
    `reader`; `score` stays the hand score); the rest follow in their order.
    Returns the list and the best candidate's probability."""
    head = list(ranked[: model.top_k])
    if not head:
        return [], 0.0
    rows = features(intent, head, evidence, rules, model.endings)
    probabilities = [model.probability(row) for row in rows]
    order = sorted(range(len(head)), key=lambda i: (-probabilities[i], i))
    rescored = [replace(head[i], reader=probabilities[i]) for i in order]
    rescored += ranked[model.top_k :]
    return rescored, probabilities[order[0]]
