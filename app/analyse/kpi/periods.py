"""Periods: the month a figure belongs to, and whether a cue word rules it out as an actual."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.analyse.kpi.lexicon import Token
from app.errors import InvalidInput
from app.knowledge.kpi import Kind


@dataclass(frozen=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, period: str | None) -> Period | None:
        if period is None or not period.strip():
            return None
        match = re.fullmatch(r"(\d{4})-(\d{2})", period.strip())
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise InvalidInput(f"期間は YYYY-MM 形式で指定してください: {period!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def index(self) -> int:
        return self.year * 12 + self.month - 1

    def resolve(self, token: Token) -> Period | None:
        """The period a month name in this period's document means; None when in the future.

        「9月」 in the October 2026 report is 2026-09, 「11月」 in the January report 2025-11.
        """
        if token.year is not None:
            found = Period(token.year, token.month)
        else:
            year = self.year - 1 if token.month > self.month + 1 else self.year
            found = Period(year, token.month)
        return None if found.index() > self.index() else found

    def shifted(self, months: int) -> Period:
        index = self.index() + months
        return Period(index // 12, index % 12 + 1)

    def conflicts(self, token: Token) -> bool:
        """A month name pointing at another period than this one."""
        if token.month != self.month:
            return True
        return token.year is not None and token.year != self.year

    @staticmethod
    def unknown_or_other(period: Period | None, month: Token) -> bool:
        """Without a period a month name cannot be attributed, so it counts as another month."""
        return period is None or period.conflicts(month)

    def names_previous_month_as_own(self, cue: Token, tokens: Sequence[Token]) -> bool:
        """「先月（10月）」 in the October minutes written in November: 先月 is this period."""
        if cue.kind is not Kind.PREVIOUS:
            return False
        right_after = (t for t in tokens if t.kind is Kind.MONTH and 0 <= t.start - cue.end <= 2)
        return any(not self.conflicts(month) for month in right_after)


def any_cue(
    tokens: Sequence[Token],
    kinds: frozenset[Kind],
    period: Period | None,
    *,
    around: Sequence[Token] | None = None,
) -> bool:
    """Whether a cue of these kinds is present, forgiving 「先月（10月）」 for period 10.

    `around` holds the tokens to look for that month in, when `tokens` leaves notes out.
    """
    context = tokens if around is None else around
    return any(
        token.kind in kinds
        and not (period is not None and period.names_previous_month_as_own(token, context))
        for token in tokens
    )
