"""Bullets and prose: KPI phrases in sentences, and whether each states this period's actual."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator

from app.analyse.kpi.layout import Candidate, Layout, Line
from app.analyse.kpi.lexicon import NOT_ACTUAL, NOT_ACTUAL_LABEL, Token
from app.analyse.kpi.periods import Period, any_cue
from app.analyse.kpi.phrases import (
    Phrase,
    Sentence,
    line_sentences,
    phrases_in,
)
from app.analyse.kpi.restated import restated_in
from app.knowledge.kpi import Kind

# =============================================================================================
# Readings: is the phrase this period's actual?
# =============================================================================================


def inline_candidates(layout: Layout) -> Iterator[Candidate]:
    for line in layout.lines:
        if line.kind in ("bullet", "prose") and (not line.blocked or line.scoped):
            yield from line_candidates(layout, line)


def line_candidates(layout: Layout, line: Line) -> Iterator[Candidate]:
    """The line's actual figures; under a breakdown heading (「■ 担当者別」), only its total."""
    for sentence in line_sentences(layout.text, line):
        reading = Reading(layout, sentence)
        for phrase in reading.phrases:
            if line.scoped and not phrase.total:
                continue
            actual, period = reading.is_actual(phrase)
            if actual:
                yield reading.candidate(line, phrase, period or line.period)


# A cue's own figure set against the phrase's: 「目標の30件に対して」「前月の20件と比べ」.
_CONTRAST_GAP = re.compile(r"\s*(?:の|は|が|:)?\s*")
_CONTRAST = re.compile(r"\s*(?:に対して|に対し|と比べ|に比べ|と比較して)")

# A counted whole before うち (「126店」「40社」), not a month or a date.
_COUNTED_WHOLE = re.compile(r"\d[\d,]*\s*(?:件|店|社|名|人|回|か所|箇所|施設|院)")

# An enumeration hands its lead on to its items (「※前月は、アポ14件、商談6件」). Real leads
# are short, so context is read at most this many clauses or characters back: long or
# unpunctuated texts stay linear.
_MAX_LEAD_CLAUSES = 12
_MAX_LEAD_CHARS = 200


class Reading:
    """One sentence read for KPI phrases, with the clause structure the judgements need."""

    def __init__(self, layout: Layout, sentence: Sentence) -> None:
        self.layout = layout
        self.text = layout.text
        self.sentence = sentence
        self.tokens = layout.tokens_in(sentence.start, sentence.end)
        self._token_starts = [token.start for token in self.tokens]
        self.phrases = [
            *phrases_in(layout, sentence, self.tokens),
            *restated_in(layout, sentence, self.tokens),
        ]
        self._clause_starts = [sentence.start, *(s + 1 for s in sentence.separators)]
        self._groups_by_close = sorted(sentence.groups, key=lambda group: group[1])
        self._group_closes = [close for _, close in self._groups_by_close]
        self._opens_by_close = {close: open_ for open_, close in sentence.groups}
        self._lead_starts = self._leads()

    # --- clauses ---------------------------------------------------------------------------

    def clause_start(self, position: int) -> int:
        return self._clause_starts[bisect_left(self.sentence.separators, position)]

    def clause_end(self, position: int) -> int:
        index = bisect_left(self.sentence.separators, position)
        separators = self.sentence.separators
        return separators[index] if index < len(separators) else self.sentence.end

    def _leads(self) -> list[int]:
        """Per clause, where the words that qualify its phrases begin.

        Normally the clause's own start; but a clause that only lists figures
        (「※前月は、アポ数14件、商談数6件」) or sets a topic (「10月は、」) hands its lead on.
        """
        figure_ends = {phrase.end for phrase in self.phrases}
        links = self.layout.lexicon.clause_links
        lead_clause = [0]  # per clause, the index of the clause its lead starts in
        for index in range(1, len(self._clause_starts)):
            previous = self._clause_starts[index - 1]
            end = self._trim_trailing_notes(previous, self.sentence.separators[index - 1])
            joined = next(
                (
                    end - len(j)
                    for j in self.layout.lexicon.enumeration_joiners
                    if self.text.endswith(j, previous, end)
                ),
                end,
            )
            lists_figures = end in figure_ends or joined in figure_ends
            sets_topic = self.text[previous:end].endswith(links)
            near = index - lead_clause[-1] < _MAX_LEAD_CLAUSES
            lead_clause.append(lead_clause[-1] if (lists_figures or sets_topic) and near else index)
        return [self._clause_starts[clause] for clause in lead_clause]

    def lead_start(self, position: int) -> int:
        lead = self._lead_starts[bisect_left(self.sentence.separators, position)]
        return max(lead, position - _MAX_LEAD_CHARS)

    def _trim_trailing_notes(self, start: int, end: int) -> int:
        """End of a clause once trailing spaces and bracketed notes are dropped."""
        while end > start:
            if self.text[end - 1].isspace():
                end -= 1
            elif end in self._opens_by_close and self._opens_by_close[end] >= start:
                end = self._opens_by_close[end]
            else:
                break
        return end

    def tokens_between(self, start: int, end: int) -> list[Token]:
        low = bisect_left(self._token_starts, start)
        high = bisect_left(self._token_starts, end)
        return [token for token in self.tokens[low:high] if token.end <= end]

    def outside_closed_notes(self, tokens: list[Token], anchor: int) -> list[Token]:
        """Drop tokens in notes closed before the phrase: 「前月（12月）は」's 12月 says nothing
        about what follows."""
        if not tokens:
            return tokens
        low = bisect_left(self._group_closes, tokens[0].start + 1)
        high = bisect_left(self._group_closes, anchor + 1)
        notes = self._groups_by_close[low:high]
        return [t for t in tokens if not any(o <= t.start < c for o, c in notes)]

    # --- judgements ------------------------------------------------------------------------

    def is_actual(self, phrase: Phrase) -> tuple[bool, Period | None]:
        """No cue in the phrase's own label, in the words before it, or in the words after it.

        The period is the earlier month the words before it name (「9月は…」 in the October
        report), None for the document's own.
        """
        label = self.tokens_between(phrase.anchor, phrase.label_end)
        if any(t.kind in NOT_ACTUAL_LABEL for t in label):
            return False, None  # 「アポ数（前月比）：…」「架電数（1日平均）：…」
        if self._followed_by_plan(phrase) or self._in_subcount_note(phrase):
            return False, None
        window = self.tokens_between(self.lead_start(phrase.anchor), phrase.anchor)
        lead = self.outside_closed_notes(window, phrase.anchor)
        cues = [t for t in lead if t.kind is not Kind.SUBCOUNT]
        if phrase.month is not None:
            # 「第2四半期の成約は、7月が1件、8月が2件」: the months divide the scope.
            cues = [t for t in cues if t.kind is not Kind.PERIOD_SCOPE]
        cues = [t for t in cues if not self._contrasted(t, phrase.anchor)]
        if any_cue(cues, NOT_ACTUAL, self.layout.period, around=window):
            return False, None
        subcounts = [t.start for t in lead if t.kind is Kind.SUBCOUNT]
        if any(self._part_of_same_kpi(phrase, p, look_back=True) for p in subcounts):
            return False, None
        if self._part_marker_before(phrase) and self._part_of_same_kpi(phrase, phrase.anchor):
            return False, None
        months = [t for t in [*lead, *label] if t.kind is Kind.MONTH]
        if phrase.month is not None:
            months = [phrase.month]
        own = self.layout.period
        if not months or not Period.unknown_or_other(own, months[-1]):
            return True, None
        resolved = own.resolve(months[-1]) if own is not None else None
        return resolved is not None, resolved

    def _contrasted(self, cue: Token, anchor: int) -> bool:
        """「目標の30件に対してアポは27件」「前月の20件に比べ」: the cue has its own figure, set
        against the phrase's, so it does not qualify the phrase."""
        match = _CONTRAST_GAP.match(self.text, cue.end, anchor)
        if match is None:
            return False
        value = self.layout.lexicon.value_at(self.text, match.end(), anchor)
        if value is None or value.unit is None:
            return False
        return _CONTRAST.match(self.text, value.end, anchor) is not None

    def _in_subcount_note(self, phrase: Phrase) -> bool:
        """「アポ15件（うちオンライン商談10件）」: a note opened by うち/内訳 holds parts of the
        figure before it, whatever their names."""
        notes = [(o, c) for o, c in self.sentence.groups if o < phrase.anchor < c]
        if not notes:
            return False
        start = max(notes)[0] + 1
        while start < phrase.anchor and self.text[start] == " ":
            start += 1
        return any(t.start == start and t.kind is Kind.SUBCOUNT for t in self.tokens)

    def _followed_by_plan(self, phrase: Phrase) -> bool:
        """「月1,200件を予定」「20件を目標に」: words after the figure make it a plan or target."""
        end = min(self.clause_end(phrase.end), phrase.end + _MAX_LEAD_CHARS)
        note = self.text.find("(", phrase.end, end)
        end = end if note < 0 else note  # a note after the figure is about the figure's context
        for token in self.tokens_between(phrase.end, end):
            if token.kind is Kind.PLAN or (token.kind is Kind.TARGET and token.start == phrase.end):
                return True  # 「…件となる見込み」「20件目標」
        following = self.text[phrase.end : end]
        return any(cue in following for cue in self.layout.lexicon.after_value)

    def _before(self, phrase: Phrase) -> str:
        """The clause's words right before the phrase, trailing spaces dropped."""
        start = max(self.clause_start(phrase.anchor), phrase.anchor - _MAX_LEAD_CHARS)
        return self.text[start : phrase.anchor].rstrip()

    def _part_marker_before(self, phrase: Phrase) -> bool:
        """「製造業から17件のアポ」「リストからも受注2件」: the figure is a part of a whole."""
        return self._before(phrase).endswith(self.layout.lexicon.part_markers)

    def _part_of_same_kpi(self, phrase: Phrase, marker: int, *, look_back: bool = False) -> bool:
        """A part of the same KPI is not its figure; a part of another KPI is.

        「アポ23件（うちAアポ10件）」 is a part of the 23; 「アポ23件のうち、商談化は2件」 and
        「アポ25件から商談12件」 state the opportunities figure itself.
        """
        bound = min(marker, phrase.anchor)
        for index in range(bisect_left(self._token_starts, bound) - 1, -1, -1):
            token = self.tokens[index]
            if token.kind is Kind.KPI and token.end <= bound:
                return token.key == phrase.key
            if look_back and token.kind is Kind.OTHER_METRIC and token.end <= bound:
                return (
                    False  # 「通電数は820件、このうち担当者接続は301件」: a part of another figure
                )
        if not look_back:
            return True
        if _COUNTED_WHOLE.search(self.text, self.sentence.start, bound):
            return False  # 「訪問したサロンは126店、そのうち商談が19件」: a whole of another noun
        # 「…訪問できたのは38件でした。このうち有効商談数は16件」: うち points at a whole in the
        # sentence before; a part of another KPI there is this KPI's own figure.
        earlier = self.layout.tokens_in(
            max(0, self.sentence.start - _MAX_LEAD_CHARS), self.sentence.start
        )
        kpis = [token for token in earlier if token.kind is Kind.KPI]
        return kpis[-1].key == phrase.key if kpis else True

    def is_subset_phrasing(self, phrase: Phrase) -> bool:
        """「展示会経由のアポ」「Aアポ」「（…11件中3件）」「1件受注」: perhaps a part, not the whole."""
        if phrase.reversed:
            return True
        if self.sentence.in_note(phrase.anchor):
            return True
        before = self._before(phrase)
        if before[-1:].isascii() and before[-1:].isalpha():
            return True
        if self._compound_prefix(phrase, before):
            return True
        modifier = next(
            (m for m in self.layout.lexicon.subset_modifiers if before.endswith(m)), None
        )
        if modifier is None:
            return False
        # 「10月の」「今月の」 name the period, not a subset.
        modifier_start = self.text.rindex(modifier, 0, phrase.anchor)
        period_words = (Kind.MONTH, Kind.CURRENT)
        return not any(t.end == modifier_start and t.kind in period_words for t in self.tokens)

    def _compound_prefix(self, phrase: Phrase, before: str) -> bool:
        """「決裁者アポ」「新規アポ」: a word written onto the name narrows it; a period word
        (「今月アポ」), a figure's unit (「1,200件アポ…」) or another known term does not."""
        last = before[-1:]
        if not last or before[-1:] != self.text[phrase.anchor - 1 : phrase.anchor]:
            return False  # a space or nothing before the name
        if not ("\u4e00" <= last <= "\u9fff" or "\u30a0" <= last <= "\u30ff"):
            return False
        if any(t.end == phrase.anchor for t in self.tokens):
            return False
        return not before.endswith(self.layout.lexicon.unit_words)

    # --- result ----------------------------------------------------------------------------

    def candidate(self, line: Line, phrase: Phrase, period: Period | None) -> Candidate:
        rank = phrase.rank or (1 if self.is_subset_phrasing(phrase) else 0)
        if line.kind == "bullet":
            span = _stripped(self.text, self.sentence.start, self.sentence.end)
        else:
            start = self.clause_start(phrase.anchor)
            span = _stripped(self.text, start, self.clause_end(phrase.end))
        return Candidate(
            phrase.key,
            phrase.value.number,
            phrase.anchor,
            rank,
            span,
            period,
            phrase.value.approximate,
        )


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
