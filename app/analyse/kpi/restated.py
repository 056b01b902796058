"""Figures that name no KPI of their own but restate the one named just before.

「商談数を12件と記載…正しくは11件でした」 corrects it, 「12月の確定値は11件です」 restates it after
the month's 速報, 「アポ獲得率は1.0%、件数にして17件」 gives another measure of its stage, and a
total line 「→ 合計 12件」 under 「【担当別 商談数】」 sums its parts.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from app.analyse.kpi.layout import Layout
from app.analyse.kpi.lexicon import Token
from app.analyse.kpi.phrases import Phrase, Sentence
from app.knowledge.kpi import Kind

# How far back the KPI a restatement refers to may be named (the sentence or two before).
_ANTECEDENT_CHARS = 200


def restated_in(layout: Layout, sentence: Sentence, tokens: list[Token]) -> Iterator[Phrase]:
    """Restating phrases of the sentence: rank -1 for corrections and confirmed figures (they
    replace what was stated before), 0 for another measure or a total line."""
    lexicon, text = layout.lexicon, layout.text
    starts = [token.start for token in tokens]
    for marker in lexicon.restatement_pattern.finditer(text, sentence.start, sentence.end):
        total = marker.group("total") is not None
        correction = not total and marker.group("measure") is None
        if total and marker.start() != sentence.start:
            continue  # a total word restates only at the start of a line: 「→ 合計 12件」
        clause = _clause_start(sentence, marker.start())
        before = tokens[bisect_left(starts, clause) : bisect_left(starts, marker.start())]
        if not correction and any(token.kind is Kind.KPI for token in before):
            continue  # 「アポ件数にして」: the clause names its KPI itself
        if marker.group("spaced") is not None and text[clause : marker.start()].strip():
            continue  # 「金額 合計180万円」 only at the head of its clause
        gap = lexicon.gap_pattern.match(text, marker.end(), sentence.end)
        position = gap.end() if gap else marker.end()
        value = lexicon.value_at(text, position, sentence.end)
        antecedent = _antecedent(layout, tokens, marker.start())
        if value is None or value.unit is None or antecedent is None:
            continue
        key: str | None = antecedent.key
        measure = lexicon.measure_words.get(marker.group("measure") or "")
        if measure is not None:
            key = lexicon.sibling(antecedent.key, measure)
        if key is None or not lexicon.fits(key, value, bare_allowed=False):
            continue
        rank = 0 if total or measure is not None else -1
        yield Phrase(key, value, marker.start(), position, value.end, False, rank=rank, total=total)
    yield from _corrected_after(layout, sentence, tokens)


# How far before a correction word its figure may begin (「1,234,567円の誤り」).
_FIGURE_CHARS = 16


def _corrected_after(layout: Layout, sentence: Sentence, tokens: list[Token]) -> Iterator[Phrase]:
    """「重複を除いた結果1,512件に訂正いたします」「2,300件は、2,280件の誤りでした」: the figure
    right before a correction word replaces the KPI named before it (not in its own clause:
    「架電数1,512件に訂正」 is read as the name's own figure)."""
    lexicon, text = layout.lexicon, layout.text
    starts = [token.start for token in tokens]
    for marker in lexicon.corrected_after_pattern.finditer(text, sentence.start, sentence.end):
        end = marker.start()
        value = next(
            (
                found
                for at in range(max(sentence.start, end - _FIGURE_CHARS), end)
                if text[at].isdigit()
                and (found := lexicon.value_at(text, at, end)) is not None
                and found.end == end
            ),
            None,
        )
        if value is None or value.unit is None:
            continue
        clause = _clause_start(sentence, value.start)
        before = tokens[bisect_left(starts, clause) : bisect_left(starts, value.start)]
        if any(token.kind is Kind.KPI for token in before):
            continue
        antecedent = _antecedent(layout, tokens, value.start)
        if antecedent is None or not lexicon.fits(antecedent.key, value, bare_allowed=False):
            continue
        yield Phrase(antecedent.key, value, value.start, value.start, value.end, False, rank=-1)


def _clause_start(sentence: Sentence, position: int) -> int:
    index = bisect_left(sentence.separators, position)
    return sentence.start if index == 0 else sentence.separators[index - 1] + 1


def _antecedent(layout: Layout, tokens: list[Token], position: int) -> Token | None:
    """The KPI named last before `position`, in this sentence or the text just before it."""
    names = [t for t in tokens if t.kind is Kind.KPI and t.end <= position]
    if not names:
        start = max(0, position - _ANTECEDENT_CHARS)
        names = [t for t in layout.tokens_in(start, position) if t.kind is Kind.KPI]
    return names[-1] if names else None
