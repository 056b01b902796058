"""Dates and periods: what a question names (「先月」「3月」「前回の定例」) and dates in sentences.

Pure functions on NFKC-normalised text. The words (先月, 直近, 前回 …) come from
knowledge/chat.yaml; the shapes of Japanese dates (2025年7月1日, 7/1, 10月末) are grammar and
stay here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.knowledge.chat import DateWords, fold

# Full dates first, then months; overlapping matches keep the earliest, longest one.
_FULL_DATE = re.compile(
    r"(?:(?P<year>\d{4})\s*年\s*)?(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日"
)
_SLASH_DATE = re.compile(
    r"(?<![\d.,/])(?:(?P<year>\d{4})/)?(?P<month>\d{1,2})/(?P<day>\d{1,2})(?![\d/]|\s*(?:件|%|名|社))"
)
_ISO_DATE = re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)")
_MONTH = re.compile(
    r"(?<![\d.,])(?:(?P<year>\d{4})\s*年\s*)?(?P<month>\d{1,2})\s*月"
    r"(?P<part>度|分|末|上旬|中旬|下旬|初旬|初め|頭|中|第\d週)?"
    r"(?!\s*\d{1,2}\s*日)"
)
_ISO_MONTH = re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{2})(?![\d-])")
_MONTHS_AGO = re.compile(r"(?P<count>\d{1,2})\s*(?:か月|ヶ月|カ月|ヵ月|ケ月)前")


@dataclass(frozen=True)
class DateExpression:
    """A date or month written in a text: [start, end) of the normalised text."""

    start: int
    end: int
    year: int | None
    month: int
    day: int | None = None
    part: str = ""  # 末, 上旬 … for a month without a day

    def resolved(self, reference: dt.date) -> DateExpression:
        """The year filled in: the one that puts the date nearest to `reference`."""
        if self.year is not None:
            return self
        best = min(
            (reference.year - 1, reference.year, reference.year + 1),
            key=lambda year: abs(_month_index(year, self.month) - _month_index_of(reference)),
        )
        return DateExpression(self.start, self.end, best, self.month, self.day, self.part)

    @property
    def period(self) -> str | None:
        return f"{self.year:04d}-{self.month:02d}" if self.year is not None else None

    def display(self) -> str:
        year = f"{self.year}年" if self.year is not None else ""
        if self.day is not None:
            return f"{year}{self.month}月{self.day}日"
        part = "" if self.part in ("度", "分") else self.part
        return f"{year}{self.month}月{part}"


def _month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def _month_index_of(day: dt.date) -> int:
    return _month_index(day.year, day.month)


def period_of(day: dt.date) -> str:
    return day.strftime("%Y-%m")


def shift_period(period: str, months: int) -> str:
    year, month = (int(part) for part in period.split("-"))
    index = _month_index(year, month) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_label(period: str) -> str:
    """'2031-04' → '2031年4月'."""
    year, month = period.split("-")
    return f"{int(year)}年{int(month)}月"


def date_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _valid(month: int, day: int | None) -> bool:
    return 1 <= month <= 12 and (day is None or 1 <= day <= 31)


def find_dates(text: str) -> list[DateExpression]:
    """Dates and months in normalised text, in order, without overlaps."""
    found: list[DateExpression] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for pattern in (_FULL_DATE, _ISO_DATE, _SLASH_DATE):
        for match in pattern.finditer(text):
            month, day = int(match.group("month")), int(match.group("day"))
            year = int(match.group("year")) if match.group("year") else None
            if _valid(month, day) and free(match.start(), match.end()):
                found.append(DateExpression(match.start(), match.end(), year, month, day))
                taken.append((match.start(), match.end()))
    for pattern in (_MONTH, _ISO_MONTH):
        for match in pattern.finditer(text):
            month = int(match.group("month"))
            year = int(match.group("year")) if match.group("year") else None
            part = match.groupdict().get("part") or ""
            if _valid(month, None) and free(match.start(), match.end()):
                found.append(DateExpression(match.start(), match.end(), year, month, None, part))
                taken.append((match.start(), match.end()))
    return sorted(found, key=lambda expression: expression.start)


@dataclass(frozen=True)
class TimeScope:
    """When a question is about: months, exact days, 「直近」, or the n-th latest meeting."""

    periods: tuple[str, ...] = ()
    days: tuple[dt.date, ...] = ()
    latest: bool = False
    meeting_rank: int | None = None
    relative: bool = False  # a month named relatively (先月), for the wording of answers
    spans: tuple[tuple[int, int], ...] = field(default=(), compare=False)

    @property
    def period(self) -> str | None:
        return self.periods[0] if self.periods else None


def _year_for(month: int, *, as_of: dt.date, known_periods: Sequence[str]) -> int:
    """The latest year whose `month` is not after `as_of`, preferring months with documents."""
    limit = period_of(as_of)
    candidates = sorted(
        (p for p in known_periods if int(p[5:7]) == month and p <= limit), reverse=True
    )
    if candidates:
        return int(candidates[0][:4])
    return as_of.year if month <= as_of.month else as_of.year - 1


def _terms_in(text: str, terms: Sequence[str]) -> list[tuple[str, int]]:
    folded = sorted({fold(t) for t in terms}, key=len, reverse=True)
    hits: list[tuple[str, int]] = []
    taken: list[tuple[int, int]] = []
    for term in folded:
        for match in re.finditer(re.escape(term), text):
            if all(match.end() <= s or match.start() >= e for s, e in taken):
                hits.append((term, match.start()))
                taken.append((match.start(), match.end()))
    return hits


def question_scope(
    text: str,
    *,
    words: DateWords,
    as_of: dt.date,
    known_periods: Sequence[str] = (),
) -> TimeScope:
    """Resolve the months and days a normalised question names, relative to `as_of`."""
    periods: list[str] = []
    days: list[dt.date] = []
    spans: list[tuple[int, int]] = []
    relative = False
    for expression in find_dates(text):
        year = expression.year or _year_for(
            expression.month, as_of=as_of, known_periods=known_periods
        )
        period = f"{year:04d}-{expression.month:02d}"
        spans.append((expression.start, expression.end))
        if expression.day is not None:
            try:
                days.append(dt.date(year, expression.month, expression.day))
            except ValueError:
                continue
        if period not in periods:
            periods.append(period)
    relative_words = {fold(k): v for k, v in words.relative_months.items()}
    for term, position in _terms_in(text, list(relative_words)):
        period = shift_period(period_of(as_of), relative_words[term])
        spans.append((position, position + len(term)))
        relative = True
        if period not in periods:
            periods.append(period)
    for match in _MONTHS_AGO.finditer(text):
        period = shift_period(period_of(as_of), -int(match.group("count")))
        spans.append((match.start(), match.end()))
        relative = True
        if period not in periods:
            periods.append(period)
    meeting_words = {fold(k): v for k, v in words.previous_meeting.items()}
    meeting_hits = _terms_in(text, list(meeting_words))
    meeting_rank = meeting_words[meeting_hits[0][0]] if meeting_hits else None
    latest = bool(_terms_in(text, words.latest))
    return TimeScope(
        periods=tuple(periods),
        days=tuple(days),
        latest=latest,
        meeting_rank=meeting_rank,
        relative=relative,
        spans=tuple(spans),
    )


def mentions_month(text: str, period: str) -> bool:
    """Whether normalised text names the month of `period` (「4月」「2031年4月」「4/」)."""
    month = int(period[5:7])
    return any(
        expression.month == month and (expression.year in (None, int(period[:4])))
        for expression in find_dates(text)
    )


def mentions_day(text: str, day: dt.date) -> bool:
    return any(
        expression.day == day.day
        and expression.month == day.month
        and expression.year in (None, day.year)
        for expression in find_dates(text)
    )


def names_a_period(text: str, scope: TimeScope) -> bool:
    """A month of the question written as a period (「7月分」「7月度」): the month a report
    covers, not the month something happened in."""
    return any(
        text[start:end].endswith(("分", "度")) or text[end : end + 1] in ("分", "度")
        for start, end in scope.spans
        if end > start
    )
