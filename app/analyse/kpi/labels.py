"""Table titles: which KPI a row or column label names, its measure, and the units that scale it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.analyse.kpi.lexicon import NOT_ACTUAL_LABEL, Lexicon, Token
from app.core.normalize import normalize_for_matching
from app.knowledge.kpi import Kind

# Spaces between two Japanese characters inside one cell (「商談 移行率」「アポ 実績」) join a label.
_INNER_SPACE = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")
_BRACKETED = re.compile(r"\([^()]*\)")
_NOTE = re.compile(r"\(([^()]*)\)")
# Words that may follow the KPI name in a title without changing it: 「アポ数 実績」「商談(今月)」.
_TRAILING_KINDS = frozenset({Kind.ACTUAL, Kind.CURRENT})


@dataclass(frozen=True)
class Label:
    key: str
    money_multiplier: float
    # measure → KPI, when the title is a bare stage word (「成約」): a 金額 column in its row
    # gives that stage's amount.
    stage: Mapping[str, str | None] = field(default_factory=dict)
    # Words before the KPI name narrow it (「決裁者アポ」「新規アポ」): a part, used only when the
    # table gives no plain row for that KPI.
    qualified: bool = False


def gloss(lexicon: Lexicon, text: str, start: int, end: int, key: str) -> str | None:
    """「コール数（担当者接続）」: a note in text[start:end] that is just a KPI name of the same
    unit says what the figure counts, whatever the head word; its key, else None."""
    for match in _NOTE.finditer(text, start, end):
        content = match.group(1).strip()
        tokens = lexicon.tokens(content) if content else []
        if len(tokens) != 1 or tokens[0].kind is not Kind.KPI:
            continue
        found = tokens[0]
        whole = found.start == 0 and found.end == len(content)
        if whole and found.key != key and lexicon.units[found.key] == lexicon.units[key]:
            return found.key
    return None


def without_brackets(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, _BRACKETED.sub("", text)
    return text


def table_label(lexicon: Lexicon, cell: str) -> Label | None:
    """The KPI a row or column title names, when it is the head noun and nothing qualifies it.

    「アポ→商談 移行率」 is the rate into the stage after the arrow (商談化率); 「商談→受注 移行率」
    names a stage without a rate KPI, so no KPI.
    """
    cached = lexicon.label_cache.get(cell)
    if cached is None:
        cached = (_table_label(lexicon, cell),)
        lexicon.label_cache.put(cell, cached)
    return cached[0]


def _table_label(lexicon: Lexicon, cell: str) -> Label | None:
    text = _INNER_SPACE.sub("", normalize_for_matching(cell))
    transition = _after_transition(lexicon, text)
    if transition is not None:
        text = transition
    if any(token.kind in NOT_ACTUAL_LABEL for token in lexicon.tokens(text)):
        return None  # 「アポ数（前月）」「累計アポ数」「達成率」
    outside = without_brackets(text)
    tokens = lexicon.tokens(outside)
    names = [token for token in tokens if token.kind is Kind.KPI]
    if len(names) != 1:
        return None
    name = names[0]
    starts = {token.start: token for token in tokens}
    position = name.end
    while True:
        while position < len(outside) and outside[position].isspace():
            position += 1
        token = starts.get(position)
        if token is None or token.kind not in _TRAILING_KINDS:
            break
        position = token.end
    if outside[position:].strip():
        return None  # 「架電済み」: the KPI name is not the head noun
    stage = lexicon.stage_words.get(outside[name.start : name.end], {})
    key = gloss(lexicon, text, 0, len(text), name.key) or name.key
    qualified = _qualifies(outside[: name.start], [t for t in tokens if t.end <= name.start])
    return Label(key, lexicon.money_multiplier(text), stage, qualified)


def _qualifies(prefix: str, tokens: list[Token]) -> bool:
    """Whether words before a KPI name narrow it: 「決裁者」「新規」「A社」 do; a month, 今月,
    実績, or a number (「①」) does not."""
    words = [char for char in prefix if char.isalpha()]
    if not words:
        return False
    covered = sum(t.end - t.start for t in tokens if t.kind in _PERIOD_KINDS)
    return len(words) > covered


_PERIOD_KINDS = frozenset({Kind.MONTH, Kind.CURRENT, Kind.ACTUAL})


def _after_transition(lexicon: Lexicon, text: str) -> str | None:
    """「アポ→商談移行率」 → 「商談移行率」: the label of the stage the figure moves into."""
    for arrow in lexicon.arrows:
        before, found, after = text.rpartition(arrow)
        if not found or not after.strip():
            continue
        if any(token.kind is Kind.KPI for token in lexicon.tokens(before)):
            return after.strip()
    return None


def column_measure(lexicon: Lexicon, title: str) -> str | None:
    """The measure a column title names on its own: 「金額(円)」 amount, 「件数」 count."""
    text = without_brackets(_INNER_SPACE.sub("", normalize_for_matching(title))).strip()
    return lexicon.measure_words.get(text)
