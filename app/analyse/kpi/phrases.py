"""Phrases: a KPI name tied to its figures, found sentence by sentence (for `prose`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from app.analyse.kpi.labels import gloss
from app.analyse.kpi.layout import Layout, Line
from app.analyse.kpi.lexicon import (
    LABEL_POINTERS,
    NOT_ACTUAL_LABEL,
    QUALIFIERS,
    Lexicon,
    Token,
    Value,
)
from app.analyse.kpi.periods import Period
from app.core.text import SENTENCE_ENDERS, sentence_spans
from app.knowledge.kpi import Kind

# Punctuation is the language's structure, not tunable vocabulary, so it stays in code.
CLAUSE_SEPARATORS = "、,;"
# The characters a sentence's structure is read from: brackets and clause separators.
_STRUCTURE = re.compile(rf"[(){re.escape(CLAUSE_SEPARATORS)}]")


# =============================================================================================
# Phrases: a KPI name tied to its figures
# =============================================================================================


@dataclass(frozen=True)
class Sentence:
    """A sentence and its bracket structure, which the clause rules read context from."""

    start: int
    end: int
    groups: tuple[tuple[int, int], ...]  # (open, close + 1) of each bracketed note
    separators: tuple[int, ...]  # clause separators outside brackets
    unclosed: tuple[int, ...] = ()  # brackets opened and not closed before the sentence ends

    def in_note(self, position: int) -> bool:
        """Whether a bracket is open at `position` (its closing one counts as inside)."""
        if any(open_ < position for open_ in self.unclosed):
            return True
        return any(open_ < position < close for open_, close in self.groups)


@dataclass(frozen=True)
class Item:
    """One figure after a KPI name, with the words that say which figure it is."""

    value: Value
    qualifiers: tuple[Token, ...]
    after_arrow: bool
    is_change: bool
    amount: Value | None = (
        None  # 「受注3件（計294万円）」「成約：6件／540万円」: the stage's amount
    )


@dataclass(frozen=True)
class Phrase:
    """A KPI name tied to a figure, before judging whether the figure is an actual."""

    key: str
    value: Value
    anchor: int  # start of the phrase: the name, or the number in 「1件受注」
    label_end: int  # end of the name and its notes, where the figures begin
    end: int  # end of the last figure
    reversed: bool
    month: Token | None = None  # 「10月8件、11月11件」: the month this figure is given for
    rank: int = 0  # -1: a restated or corrected figure (「正しくは11件」), preferred to others
    total: bool = False  # 「→ 合計 12件」 under a heading that names the KPI


def line_sentences(text: str, line: Line) -> Iterator[Sentence]:
    """The line's sentences (core.text), each without its closing 。!?."""
    for start, end in sentence_spans(text, line.content_start, line.end):
        while end > start and text[end - 1] in SENTENCE_ENDERS:
            end -= 1
        if end > start:
            yield _sentence(text, start, end)


def _sentence(text: str, start: int, end: int) -> Sentence:
    groups: list[tuple[int, int]] = []
    separators: list[int] = []
    opened: list[int] = []
    for match in _STRUCTURE.finditer(text, start, end):
        index, char = match.start(), match.group()
        if char == "(":
            opened.append(index)
        elif char == ")":
            if opened:
                groups.append((opened.pop(), index + 1))
        elif not opened and not _thousands_comma(text, index):
            separators.append(index)
    return Sentence(start, end, tuple(groups), tuple(separators), tuple(opened))


def _thousands_comma(text: str, index: int) -> bool:
    """The comma in 1,320 separates thousands, not clauses."""
    before = index > 0 and text[index - 1].isdigit()
    after = index + 1 < len(text) and text[index + 1].isdigit()
    return text[index] == "," and before and after


def phrases_in(layout: Layout, sentence: Sentence, tokens: list[Token]) -> Iterator[Phrase]:
    """Name then figures (「アポ獲得数：３１件」), or a count then a name (「1件受注」)."""
    lexicon, text = layout.lexicon, layout.text
    at = {token.start: token for token in tokens}
    used: set[int] = set()
    for name in (token for token in tokens if token.kind is Kind.KPI):
        # 「デモ予約（アポ）：27件」: the name glossed in brackets is the label.
        closes = (open_ < name.start and close == name.end + 1 for open_, close in sentence.groups)
        after = name.end + 1 if any(closes) else name.end
        gap = lexicon.gap_pattern.match(text, after, sentence.end)
        label_end = gap.end() if gap else name.end
        if _names_another_kpi(text, at, name.end, label_end):
            continue  # 「アポとして商談化したのは」: the figure is the later name's
        labelled = any(mark in text[name.end : label_end] for mark in ":=" + LABEL_POINTERS)
        items = _items(layout, sentence, at, name.key, label_end, labelled=labelled)
        used.update(item.value.start for item in items)
        glossed = gloss(lexicon, text, name.end, label_end, name.key)
        if glossed is not None:
            name = replace(
                name, key=glossed
            )  # 「コール数（担当者接続）：296件」 counts connections
        amount_key = lexicon.sibling(name.key, "amount")
        by_month = _month_items(items)
        if by_month:
            for item, month in by_month:
                for key, value in ((name.key, item.value), (amount_key, item.amount)):
                    if key is not None and value is not None:
                        yield Phrase(key, value, name.start, label_end, value.end, False, month)
            continue
        chosen = _choose(layout, items)
        if chosen is not None:
            end = items[-1].value.end
            own_month = _month_of(chosen)
            yield Phrase(name.key, chosen.value, name.start, label_end, end, False, own_month)
            first = items[0]
            if own_month is not None and first is not chosen and _plain(first):
                # 「5月の架電は1,100件、6月は1,200件」: the first figure is the lead month's.
                lead_month = any(t.kind is Kind.MONTH and t.start < name.start for t in at.values())
                if lead_month:
                    yield Phrase(
                        name.key, first.value, name.start, label_end, first.value.end, False
                    )
            if chosen.amount is not None and amount_key is not None:
                amount = chosen.amount
                yield Phrase(amount_key, amount, name.start, label_end, amount.end, reversed=False)
    counted = (t for t in tokens if t.kind is Kind.KPI and lexicon.units[t.key] == "count")
    for name in counted:
        value = _count_before(layout, sentence, name)
        if value is not None and value.start not in used:
            yield Phrase(name.key, value, value.start, value.start, name.end, reversed=True)


def _names_another_kpi(text: str, at: dict[int, Token], start: int, end: int) -> bool:
    """Whether a KPI name outside brackets lies in text[start:end] (a note 「（対接続）」 may)."""
    for position in range(start, end):
        token = at.get(position)
        outside = text.count("(", start, position) <= text.count(")", start, position)
        if token is not None and token.kind is Kind.KPI and outside:
            return True
    return False


def _items(
    layout: Layout,
    sentence: Sentence,
    at: dict[int, Token],
    key: str,
    position: int,
    *,
    labelled: bool,
) -> list[Item]:
    """The figures following a name: 「27件」, 「目標30件に対し27件」, 「22件→25件」."""
    lexicon, text = layout.lexicon, layout.text
    items: list[Item] = []
    after_arrow = False
    while True:
        qualifiers: list[Token] = []
        while position in at and at[position].kind in (*QUALIFIERS, Kind.COMPARISON):
            if at[position].kind is not Kind.COMPARISON:  # 「前月から3件増えて」 is neutral
                qualifiers.append(at[position])
            gap = lexicon.gap_pattern.match(text, at[position].end, sentence.end)
            position = gap.end() if gap else at[position].end
        signed = position < sentence.end and text[position] in _SIGNS
        value = lexicon.value_at(text, position + 1 if signed else position, sentence.end)
        if value is None:
            return items
        # A bare number counts after a colon, when it ends the sentence (「- 架電数 1200」) or
        # its list item (「コール 1,760 / 接続 355」「架電 1,200→1,350」「架電 1,340（前月…）」).
        ends = _ends_item(layout, sentence, at, value.end)
        if not lexicon.fits(key, value, bare_allowed=labelled or ends):
            qualified = any(q.kind in NOT_ACTUAL_LABEL for q in qualifiers)  # 「、単価50万円」
            if (
                items
                and items[-1].amount is None
                and _is_amount(lexicon, key, value)
                and not qualified
            ):
                items[-1] = replace(items[-1], amount=value)  # 「6件／540万円」
            return items
        named = value.end + (text[value.end : value.end + 1] in ("の", "が"))
        if named in at and at[named].kind is Kind.KPI and at[named].key != key:
            return items  # 「商談は8社、うち2社が受注」: the 2 is the later name's
        is_change = signed or text.startswith(lexicon.not_a_level, value.end)
        note_end, amount = _note_after(lexicon, text, key, value.end, sentence.end)
        items.append(Item(value, tuple(qualifiers), after_arrow, is_change, amount))
        if is_change:
            # 「3件増えて21件」「前月比+4件の19件」「1,000件を超え、1,045件」: the level follows.
            tail = _change_tail(lexicon, text, note_end, sentence.end)
            if tail is not None and lexicon.value_at(text, tail, sentence.end) is not None:
                after_arrow, position = True, tail
                continue
        # A note after the figure does not end the list: 「7月が1件（95万円）、8月が2件」.
        link = lexicon.link_pattern.match(text, note_end, sentence.end)
        if link is None:
            return items
        after_arrow = link.group("link") in lexicon.arrows
        position = link.end()


# Between the items of a one-line list of figures: 「コール 1,760 / 接続 355 | アポ 18」.
_LIST_SEPARATORS = ("/", "|", "、", ",")
# A note after an item: 「アポ 13 ←うち2件は…」「架電 1,200 ※重複除く」.
_NOTE_MARKS = ("←", "※")


def _ends_item(layout: Layout, sentence: Sentence, at: dict[int, Token], position: int) -> bool:
    """Whether a bare number at `position` closes its item: the sentence ends (a bracketed
    note aside), a list separator and the next KPI name follow, or an arrow and a number."""
    text, end = layout.text, sentence.end
    rest = text[position:end].strip()
    if not rest:
        return True
    if rest.startswith("(") and rest.endswith(")") and rest.count("(") == 1:
        return True  # 「架電 1,340（前月 1,290）」
    if rest.startswith(_NOTE_MARKS):
        return True  # 「アポ 13 ←うち2件はリスケ待ち」
    after = position + len(text[position:end]) - len(text[position:end].lstrip())
    if rest.startswith(_LIST_SEPARATORS):
        following = after + 1
        while following < end and text[following] == " ":
            following += 1
        token = at.get(following)
        return token is not None and token.kind is Kind.KPI
    link = layout.lexicon.link_pattern.match(text, position, end)
    if link is not None and link.group("link") in layout.lexicon.arrows:
        return layout.lexicon.value_at(text, link.end(), end) is not None
    return False


# A sign before a figure makes it a change (「+4件」「▲2件」), not a level.
_SIGNS = "+-±▲△▼"
# The inflection after a change word, before the level it leads to (「増えて」「超え、」「の」).
_INFLECTION = re.compile(r"[\u3041-\u309f]{0,4}\s*(?:[、,]\s*)?")


def _change_tail(lexicon: Lexicon, text: str, position: int, end: int) -> int | None:
    """Where the level after a change begins: past the change word and its inflection."""
    word = max(
        (w for w in lexicon.not_a_level if text.startswith(w, position)), key=len, default=""
    )
    inflection = _INFLECTION.match(text, position + len(word), end)
    tail = inflection.end() if inflection else position + len(word)
    return tail if tail > position else None


def _is_amount(lexicon: Lexicon, key: str, value: Value) -> bool:
    return value.unit == "jpy" and lexicon.sibling(key, "amount") is not None


def _note_after(
    lexicon: Lexicon, text: str, key: str, position: int, end: int
) -> tuple[int, Value | None]:
    """Where a bracketed note right after a figure ends, and the stage's amount if the note is
    just one (「3件（計294万円）」); (position, None) when no note follows."""
    start = position
    while start < end and text[start] == " ":
        start += 1
    if start >= end or text[start] != "(":
        return position, None
    close = text.find(")", start, end)
    if close < 0:
        return position, None
    inner = start + 1
    while inner < close and text[inner] == " ":
        inner += 1
    value = lexicon.value_at(text, inner, close)
    if value is None or text[value.end : close].strip() or not _is_amount(lexicon, key, value):
        return close + 1, None
    return close + 1, value


def _month_items(items: list[Item]) -> list[tuple[Item, Token]]:
    """「10月8件、11月11件、12月9件」: two or more figures, each given for its own month."""
    found: list[tuple[Item, Token]] = []
    for item in items:
        months = [token for token in item.qualifiers if token.kind is Kind.MONTH]
        if not months:
            continue
        if item.is_change or any(t.kind in NOT_ACTUAL_LABEL for t in item.qualifiers):
            continue
        found.append((item, months[-1]))
    named = {(month.year, month.month) for _, month in found}
    return found if len(found) >= 2 and len(named) == len(found) else []


def _month_of(item: Item) -> Token | None:
    months = [token for token in item.qualifiers if token.kind is Kind.MONTH]
    return months[-1] if months else None


def _plain(item: Item) -> bool:
    return not item.qualifiers and not item.is_change


def _choose(layout: Layout, items: list[Item]) -> Item | None:
    """The marked actual, else the figure after an arrow, else the first unmarked figure."""
    verdicts = [(item, _verdict(layout, item)) for item in items if not item.is_change]
    marked = [item for item, verdict in verdicts if verdict > 0]
    plain = [item for item, verdict in verdicts if verdict == 0]
    if marked:
        return marked[0]
    arrowed = [item for item in plain if item.after_arrow]
    if arrowed:
        return arrowed[-1]
    return plain[0] if plain else None


def _verdict(layout: Layout, item: Item) -> int:
    """+1: marked as this period's actual; 0: unmarked; -1: a target, plan or other period."""
    kinds = {token.kind for token in item.qualifiers}
    months = [token for token in item.qualifiers if token.kind is Kind.MONTH]
    if kinds & NOT_ACTUAL_LABEL:
        return -1
    if months:
        return -1 if Period.unknown_or_other(layout.period, months[-1]) else 1
    return 1 if kinds & {Kind.ACTUAL, Kind.CURRENT} else 0


def _count_before(layout: Layout, sentence: Sentence, name: Token) -> Value | None:
    """The count right before a name, as in 「1件受注」 or 「20件のアポ」."""
    # 「20件のアポ」「うち2社が受注に至りました」
    end = name.start - 1 if layout.text[name.start - 1 : name.start] in ("の", "が") else name.start
    for start in range(max(sentence.start, end - 20), end):
        if not layout.text[start].isdigit():
            continue  # 「二人の通話」: a kanji numeral before a name counts people, not calls
        value = layout.lexicon.value_at(layout.text, start, end)
        if value is not None and value.end == end and value.unit == "count":
            return value
    return None
