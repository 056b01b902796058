"""Clauses of a question that set its context rather than ask: a premise (「…の件の後、」)
and the asker's purpose (「役員会で説明できるように、」)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.chat.segments import Analyze
from app.knowledge.chat import ChatKnowledge, fold


def premise_terms(
    text: str, terms: Sequence[str], knowledge: ChatKnowledge, analyze: Analyze
) -> tuple[str, ...]:
    """The terms of the clause before a premise marker (「…の件の後、」), when terms of
    the question remain after it: what happened is context, what was done is asked."""
    clause = premise_clause(text, knowledge)
    if not clause:
        return ()
    before = set(analyze(clause).tokens)
    premise = tuple(t for t in terms if t in before)
    rest = [t for t in terms if t not in before]
    return premise if premise and rest else ()


def premise_clause(text: str, knowledge: ChatKnowledge) -> str:
    """The text before the first premise marker, or "" when there is none."""
    # 「指導を受けている社員」 is no premise: the marker must end its clause (not 〜ている).
    positions = [
        match.start()
        for m in knowledge.premise
        if (match := re.search(re.escape(fold(m)) + "(?![いおる])", text)) is not None
    ]
    return text[: min(positions)] if positions else ""


def purpose_tokens(text: str, knowledge: ChatKnowledge, analyze: Analyze) -> set[str]:
    """The tokens of the asker's framing that the rest of the question does not repeat: a
    purpose clause (「役員会で説明できるように、」), a sentence announcing the question
    (「経理の立場からお伺いします。」) and a closing aside giving the asker's reason
    (「…教えて。報告書には署名がないので。」) say why they ask, not what about."""
    framing: list[tuple[int, int]] = []
    markers = "|".join(re.escape(fold(m)) for m in knowledge.purpose)
    match = re.search(rf"(?<![のこそあど])({markers})[、,]", text) if markers else None
    if match is not None:
        framing.append((0, match.start()))
    sentences = [m.span() for m in re.finditer(r"[^。?？!！]+[。?？!！]*", text)]
    if len(sentences) > 1:
        first_start, first_end = sentences[0]
        if _ends_with(text[first_start:first_end], knowledge.preamble):
            framing.append((first_start, first_end))
        last_start, last_end = sentences[-1]
        last = text[last_start:last_end]
        if not re.search("[?？]", last) and _ends_with(last, knowledge.aside):
            framing.append((last_start, last_end))
    if not framing:
        return set()
    inside = [False] * len(text)
    for start, end in framing:
        inside[start:end] = [True] * (end - start)
    rest = "".join(" " if flag else char for char, flag in zip(text, inside, strict=True))
    framed = set().union(*(analyze(text[start:end]).tokens for start, end in framing))
    return framed - set(analyze(rest).tokens)


def _ends_with(sentence: str, endings: Sequence[str]) -> bool:
    body = sentence.rstrip("。?？!！ ")
    return any(body.endswith(fold(ending)) for ending in endings)
