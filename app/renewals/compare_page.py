"""The vendor comparison a page at a time, sorted on the server.

At 1,000 engagements the page rendered every row and sorted them in the browser (p95 about
1.1 s); now the server sorts by the column asked for, keeps one renewal status if asked,
and renders one page. The CSV and the API still give every row, in the same order.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args
from urllib.parse import urlencode

from app.renewals.compare import ComparisonRow
from app.renewals.dashboard import PER_PAGE, Paged, page_slice, status_counts
from app.renewals.timeline import TimelineStatus

SortKey = Literal[
    "vendor",
    "achievement",
    "recent_achievement",
    "cost_appointments",
    "cost_opportunities",
    "cost_deals",
    "signals",
    "decision",
    "renewal",
]
SortOrder = Literal["asc", "desc"]
# The decision column sorts from the best outcome to the one still open.
DECISION_ORDER = {"renew": 0, "renew_with_conditions": 1, "do_not_renew": 2, "pending": 3}


def _cost(key: str) -> Callable[[ComparisonRow], float | None]:
    def value(row: ComparisonRow) -> float | None:
        return next((cell.cost for cell in row.costs if cell.key == key), None)

    return value


SORT_VALUES: dict[SortKey, Callable[[ComparisonRow], float | str | None]] = {
    # NFKC so that full- and half-width spellings of one name sort together.
    "vendor": lambda row: unicodedata.normalize("NFKC", row.vendor_name).casefold(),
    "achievement": lambda row: row.achievement,
    "recent_achievement": lambda row: row.recent_achievement,
    "cost_appointments": _cost("appointments"),
    "cost_opportunities": _cost("opportunities"),
    "cost_deals": _cost("deals"),
    # Concerns weigh more than good signals: the most worrying engagement sorts last.
    "signals": lambda row: row.signals_concern * 10 - row.signals_good,
    "decision": lambda row: DECISION_ORDER.get(row.decision, len(DECISION_ORDER)),
    "renewal": lambda row: row.days_to_notice,
}
SORT_KEYS: tuple[SortKey, ...] = get_args(SortKey)


def sort_rows(
    rows: Sequence[ComparisonRow], *, sort: SortKey | None, order: SortOrder = "asc"
) -> list[ComparisonRow]:
    """Rows by one column (ties keep the given order, most urgent renewal first); rows
    without a value go last in either direction. No `sort`: the given order."""
    if sort is None:
        return list(rows)
    value = SORT_VALUES[sort]
    keyed: list[tuple[Any, ComparisonRow]] = [(value(row), row) for row in rows]
    known = [pair for pair in keyed if pair[0] is not None]
    known.sort(key=lambda pair: pair[0], reverse=order == "desc")  # stable both ways
    return [row for _, row in known] + [row for key, row in keyed if key is None]


@dataclass(frozen=True)
class ComparisonPage(Paged[ComparisonRow]):
    sort: SortKey | None
    order: SortOrder

    def href(self, *, page: int = 1, status: TimelineStatus | Literal[""] | None = "") -> str:
        """This view's address at another page (or status: None for all), sort kept."""
        return _href(
            sort=self.sort,
            order=self.order,
            status=self.status if status == "" else status,
            page=page,
        )

    def sort_href(self, key: SortKey) -> str:
        """The first page sorted by `key`: ascending, or the other way if it is the current
        sort; the status filter kept."""
        order: SortOrder = "desc" if self.sort == key and self.order == "asc" else "asc"
        return _href(sort=key, order=order, status=self.status, page=1)

    def aria_sort(self, key: SortKey) -> str | None:
        if self.sort != key:
            return None
        return "ascending" if self.order == "asc" else "descending"

    def csv_href(self) -> str:
        """Every row (whatever the filter and page), in this view's order."""
        query = urlencode({"sort": self.sort, "order": self.order} if self.sort else {})
        return "/compare.csv" + (f"?{query}" if query else "")


def _href(
    *, sort: SortKey | None, order: SortOrder, status: TimelineStatus | None, page: int
) -> str:
    params: dict[str, str | int] = {}
    if sort:
        params.update(sort=sort, order=order)
    if status:
        params["status"] = status
    if page > 1:
        params["page"] = page
    return "/compare" + (f"?{urlencode(params)}" if params else "")


def comparison_page(
    rows: Sequence[ComparisonRow],
    *,
    sort: SortKey | None = None,
    order: SortOrder = "asc",
    status: TimelineStatus | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ComparisonPage:
    """Pure: one page of the sorted rows of one status (or all); a page past the end shows
    the last one, as on the dashboard."""
    kept = sort_rows(
        [row for row in rows if status is None or row.renewal_status == status],
        sort=sort,
        order=order,
    )
    shown, page, pages, first = page_slice(kept, page, per_page)
    return ComparisonPage(
        rows=shown,
        counts=status_counts(row.renewal_status for row in rows),
        sort=sort,
        order=order,
        status=status,
        page=page,
        pages=pages,
        matching=len(kept),
        first=first,
    )
