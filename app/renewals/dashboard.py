"""The renewal dashboard's page: the most urgent engagements first, a page at a time.

Nobody reads a table of 1,000 engagements, and rendering one took most of the page's time
at that size; the counts per status cover every engagement, the table shows one page of
them (optionally one status), most urgent first as `renewal_overview` sorts them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from app.renewals.models import RenewalRow
from app.renewals.timeline import TimelineStatus

PER_PAGE = 50
# The dashboard's badges, most urgent first (labels: timeline.STATUS_LABELS).
STATUS_ORDER: tuple[TimelineStatus, ...] = ("overdue", "notice_soon", "review_due", "upcoming")

Row = TypeVar("Row")


def status_counts(statuses: Iterable[TimelineStatus]) -> dict[TimelineStatus, int]:
    """Engagements per status, every status present (the badges show 0 too)."""
    counts: dict[TimelineStatus, int] = dict.fromkeys(STATUS_ORDER, 0)
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def page_slice(kept: Sequence[Row], page: int, per_page: int) -> tuple[list[Row], int, int, int]:
    """One page of `kept`: its rows, the page (a page past the end shows the last one, so a
    link kept from a larger portfolio still lands somewhere), the page count, and the
    1-based position of its first row (0 when empty)."""
    pages = max(1, math.ceil(len(kept) / per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    shown = list(kept[start : start + per_page])
    return shown, page, pages, start + 1 if shown else 0


@dataclass(frozen=True)
class Paged(Generic[Row]):
    """One page of a list of engagements, with the counts per status over all of them."""

    rows: list[Row]
    counts: dict[TimelineStatus, int]  # every engagement, whatever the filter
    status: TimelineStatus | None
    page: int
    pages: int
    matching: int  # engagements the filter keeps
    first: int  # 1-based position of the page's first row (0 when empty)

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


@dataclass(frozen=True)
class DashboardPage(Paged[RenewalRow]):
    """The dashboard's page (most urgent first)."""


def dashboard_page(
    rows: Sequence[RenewalRow],
    *,
    page: int = 1,
    status: TimelineStatus | None = None,
    per_page: int = PER_PAGE,
) -> DashboardPage:
    """Pure: one page of `rows` (already most urgent first) of one status, or all."""
    kept = [row for row in rows if status is None or row.timeline.status == status]
    shown, page, pages, first = page_slice(kept, page, per_page)
    return DashboardPage(
        rows=shown,
        counts=status_counts(row.timeline.status for row in rows),
        status=status,
        page=page,
        pages=pages,
        matching=len(kept),
        first=first,
    )
