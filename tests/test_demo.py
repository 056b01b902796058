"""The demo, loaded on any day, shows every dashboard status and every decision."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.container import Container
from app.ingest.scenario import date_shift
from app.renewals.service import renewal_overview
from app.renewals.timeline import STATUS_LABELS
from app.store import repository
from app.workflows import import_scenarios

DEMO = Path(__file__).resolve().parents[1] / "demo"
SCENARIO = {
    "relative_dates": {"anchor": dt.date(2026, 2, 20), "renewal_in_days": 45},
    "documents": [{"date": dt.date(2025, 10, 7)}, {"date": dt.date(2026, 2, 18)}],
}


def test_documents_move_by_whole_years_and_the_renewal_by_days_from_the_import_day() -> None:
    shift = date_shift(SCENARIO, dt.date(2027, 9, 1))
    assert shift.years == 1
    assert shift.date(dt.date(2025, 10, 7)) == dt.date(2026, 10, 7)
    assert shift.period("2025-09") == "2026-09"  # 「9月度」 stays September
    assert shift.renewal_date == dt.date(2027, 10, 16)
    # Before the anchor's day in the year, the documents stay in the year before.
    assert date_shift(SCENARIO, dt.date(2027, 2, 1)).years == 0
    # Without relative_to (the evaluation), nothing moves.
    fixed = date_shift(SCENARIO, None)
    assert fixed.years == 0 and fixed.renewal_date is None
    assert fixed.date(dt.date(2025, 10, 7)) == dt.date(2025, 10, 7)


def test_demo_loaded_today_covers_each_status_and_decision(container: Container) -> None:
    # The stored analyses are as of the real day (what `make run` shows), so load it today.
    today = dt.date.today()
    import_scenarios(container=container, path=DEMO, relative_to=today)
    rows = renewal_overview(container=container, today=today)
    assert {row.timeline.status for row in rows} == set(STATUS_LABELS)
    assert {row.decision for row in rows} >= {"renew", "renew_with_conditions", "do_not_renew"}
    with container.session_factory() as session:
        for engagement in repository.list_engagements(session):
            assert engagement.renewal_date > today
            assert all(document.date <= today for document in engagement.documents)
            assert max(d.date for d in engagement.documents) > today - dt.timedelta(days=366)
