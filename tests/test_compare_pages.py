"""The vendor comparison sorted on the server and a page at a time: every row takes part in
the sort, empty values go last, and the paging, sort and filter links keep one another."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re

from app.container import Container
from app.core.spreadsheet_text import BOM
from app.renewals.compare import ComparisonRow, CostCell
from app.renewals.compare_page import SORT_KEYS, SORT_VALUES, comparison_page, sort_rows
from app.store import repository
from tests.conftest import LiveServer


def _row(engagement_id: int, *, achievement: float | None, cost: float | None) -> ComparisonRow:
    return ComparisonRow(
        engagement_id=engagement_id,
        vendor_name=f"株式会社ナラビ{engagement_id}",
        service="インサイドセールス代行",
        main_kpi="appointments",
        main_kpi_label="アポ数",
        period="2025-11",
        actual=None,
        target=None,
        achievement=achievement,
        recent_achievement=None,
        monthly_fee_jpy=800_000,
        costs=[CostCell(key="appointments", label="アポ", count=None, period=None, cost=cost)],
        signals_good=engagement_id % 3,
        signals_concern=engagement_id % 2,
        signal_summary="―",
        concerns=[],
        decision="pending",
        decision_label="判断保留",
        renewal_status="overdue" if engagement_id % 4 == 0 else "upcoming",
        renewal_status_label="",
        notice_deadline=dt.date(2026, 1, 31),
        days_to_notice=engagement_id,
        renewal_date=dt.date(2026, 3, 31),
    )


def test_every_offered_column_sorts_and_empty_values_go_last() -> None:
    rows = [
        _row(1, achievement=0.8, cost=None),
        _row(2, achievement=None, cost=30_000.0),
        _row(3, achievement=1.2, cost=20_000.0),
        _row(4, achievement=0.8, cost=25_000.0),
    ]
    ids = [row.engagement_id for row in sort_rows(rows, sort="achievement")]
    assert ids == [1, 4, 3, 2]  # ties keep the given order, the empty one last
    assert [row.engagement_id for row in sort_rows(rows, sort="achievement", order="desc")] == [
        3,
        1,
        4,
        2,
    ]
    costs = [row.engagement_id for row in sort_rows(rows, sort="cost_appointments", order="desc")]
    assert costs == [2, 4, 3, 1]
    assert sort_rows(rows, sort=None) == rows
    for key in SORT_KEYS:  # every key the page offers has a value to sort by
        assert key in SORT_VALUES and len(sort_rows(rows, sort=key)) == len(rows)


def test_a_page_of_the_sorted_rows_with_counts_over_all() -> None:
    rows = [_row(index, achievement=None, cost=None) for index in range(1, 12)]
    random.Random(4).shuffle(rows)
    view = comparison_page(rows, sort="renewal", order="desc", page=2, per_page=5)
    assert [row.engagement_id for row in view.rows] == [6, 5, 4, 3, 2]
    assert (view.page, view.pages, view.first, view.last, view.matching) == (2, 3, 6, 10, 11)
    assert view.href(page=3) == "/compare?sort=renewal&order=desc&page=3"
    assert view.sort_href("renewal") == "/compare?sort=renewal&order=asc"
    assert view.sort_href("vendor") == "/compare?sort=vendor&order=asc"
    assert view.csv_href() == "/compare.csv?sort=renewal&order=desc"
    overdue = comparison_page(rows, sort="renewal", status="overdue", per_page=5)
    assert [row.engagement_id for row in overdue.rows] == [4, 8]
    assert overdue.counts == view.counts and sum(view.counts.values()) == 11
    assert overdue.href(page=1, status=None) == "/compare?sort=renewal&order=asc"
    assert overdue.sort_href("vendor") == "/compare?sort=vendor&order=asc&status=overdue"
    assert comparison_page(rows, page=99, per_page=5).page == 3


def _vendors_on(text: str) -> list[str]:
    return re.findall(r'<tr data-engagement="\d+">\s*<td><a href="[^"]+">([^<]+)</a>', text)


def test_the_comparison_sorts_pages_and_filters_over_http(
    live_server: LiveServer, container: Container
) -> None:
    today = dt.date.today()
    order = list(range(55))
    random.Random(9).shuffle(order)  # created in no particular order of name or deadline
    with container.session_factory() as session:
        for index in order:
            vendor = repository.get_or_create_vendor(session, name=f"株式会社ナラビ{index:02d}")
            repository.create_engagement(
                session,
                vendor_id=vendor.id,
                service="インサイドセールス代行",
                start_date=today - dt.timedelta(days=400),
                # Five whose notice deadline has passed, the rest a year or more away.
                renewal_date=today + dt.timedelta(days=30 if index >= 50 else 400 + index),
                notice_days=60,
            )
        session.commit()
    names = [f"株式会社ナラビ{index:02d}" for index in range(55)]
    with live_server.client() as client:
        first = client.get("/compare", params={"sort": "vendor"})
        assert first.status_code == 200
        assert _vendors_on(first.text) == names[:50]
        assert "55件中 1〜50件目" in first.text
        assert 'href="/compare?sort=vendor&amp;order=asc&amp;page=2"' in first.text
        assert 'aria-sort="ascending" data-sort-key="vendor"' in first.text
        assert 'href="/compare?sort=vendor&amp;order=desc"' in first.text  # the other way

        second = client.get("/compare", params={"sort": "vendor", "page": 2})
        assert _vendors_on(second.text) == names[50:]
        assert 'rel="prev" href="/compare?sort=vendor&amp;order=asc"' in second.text

        backwards = client.get("/compare", params={"sort": "vendor", "order": "desc"})
        assert _vendors_on(backwards.text) == names[::-1][:50]

        overdue = client.get("/compare", params={"status": "overdue", "sort": "vendor"})
        assert _vendors_on(overdue.text) == names[50:]
        assert "期限超過 5件" in overdue.text and 'id="pager"' not in overdue.text
        assert 'href="/compare?sort=renewal&amp;order=asc&amp;status=overdue"' in overdue.text
        assert 'id="show-all"' in overdue.text

        unsorted = client.get("/compare")  # most urgent renewal first, as before
        assert set(_vendors_on(unsorted.text)[:5]) == set(names[50:])

        exported = client.get("/compare.csv", params={"sort": "vendor", "order": "desc"})
        table = list(csv.reader(io.StringIO(exported.content.decode("utf-8").removeprefix(BOM))))
        assert [line[0] for line in table[1:]] == names[::-1]  # every row, not one page

        api = client.get("/api/v1/compare", params={"sort": "renewal", "order": "desc"}).json()
        days = [row["days_to_notice"] for row in api]
        assert len(api) == 55 and days == sorted(days, reverse=True)
        assert client.get("/compare", params={"sort": "colour"}).status_code == 422
