"""The renewal dashboard a page at a time: counts per status over every engagement, the most
urgent first, a status filter, and paging links that keep the filter."""

from __future__ import annotations

import datetime as dt

from app.container import Container
from app.renewals.dashboard import dashboard_page
from app.renewals.models import RenewalRow
from app.renewals.timeline import compute_timeline
from app.store import repository
from tests.conftest import LiveServer

TODAY = dt.date(2026, 1, 10)


def _row(engagement_id: int, renewal_in_days: int) -> RenewalRow:
    renewal_date = TODAY + dt.timedelta(days=renewal_in_days)
    return RenewalRow(
        engagement_id=engagement_id,
        vendor_name=f"株式会社ページ{engagement_id}",
        service="インサイドセールス代行",
        renewal_date=renewal_date,
        document_count=0,
        decision=None,
        decision_label=None,
        timeline=compute_timeline(
            engagement_id=engagement_id, renewal_date=renewal_date, notice_days=60, today=TODAY
        ),
    )


def test_a_page_of_rows_with_counts_over_all_of_them() -> None:
    rows = sorted(
        [_row(index, 10 + index * 3) for index in range(1, 121)],
        key=lambda row: row.timeline.urgency,
    )
    first = dashboard_page(rows, per_page=50)
    assert [row.engagement_id for row in first.rows] == [row.engagement_id for row in rows[:50]]
    assert sum(first.counts.values()) == 120 and first.matching == 120
    assert (first.page, first.pages, first.first, first.last) == (1, 3, 1, 50)
    last = dashboard_page(rows, page=3, per_page=50)
    assert (len(last.rows), last.first, last.last) == (20, 101, 120)
    assert dashboard_page(rows, page=99, per_page=50).page == 3  # past the end: the last page

    status = rows[0].timeline.status
    only = dashboard_page(rows, status=status, per_page=50)
    assert only.matching == first.counts[status]
    assert {row.timeline.status for row in only.rows} == {status}
    assert only.counts == first.counts  # the badges still count every engagement
    assert dashboard_page([], per_page=50).rows == []


def test_the_dashboard_pages_and_filters_over_http(
    live_server: LiveServer, container: Container
) -> None:
    today = dt.date.today()
    with container.session_factory() as session:
        vendor = repository.get_or_create_vendor(session, name="株式会社ページング")
        for index in range(55):
            repository.create_engagement(
                session,
                vendor_id=vendor.id,
                service=f"代行 {index + 1}",
                start_date=today - dt.timedelta(days=400),
                # Five whose notice deadline has passed, the rest a year or more away.
                renewal_date=today + dt.timedelta(days=30 if index < 5 else 400 + index),
                notice_days=60,
            )
        session.commit()
    with live_server.client() as client:
        first = client.get("/")
        assert first.status_code == 200
        assert first.text.count('<tr class="tl-row-') == 50
        assert "55件中 1〜50件目" in first.text and 'href="/?page=2"' in first.text
        assert "期限超過 5件" in first.text
        assert first.text.index("代行 1<") < first.text.index("代行 6<")  # most urgent first

        second = client.get("/", params={"page": 2})
        assert second.text.count('<tr class="tl-row-') == 5
        assert "55件中 51〜55件目" in second.text and 'href="/?page=1"' in second.text

        overdue = client.get("/", params={"status": "overdue"})
        assert overdue.text.count('<tr class="tl-row-overdue"') == 5
        assert overdue.text.count('<tr class="tl-row-') == 5
        assert 'id="pager"' not in overdue.text and 'id="show-all"' in overdue.text
        empty = client.get("/", params={"status": "review_due"})
        assert "「振り返り時期」の契約はありません。" in empty.text
        assert client.get("/", params={"status": "someday"}).status_code == 422
