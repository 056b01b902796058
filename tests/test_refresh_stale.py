"""The daily re-analysis: engagements whose stored analysis is not today's are brought up
to date once, off the request path, so the dashboard and /compare only read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pytest
from sqlalchemy import update

from app.analyse.stored import stale_engagements
from app.container import Container
from app.ingest.service import DocumentInput
from app.store.models import AnalysisResult
from app.workflows import refresh_stale, store_document
from tests.conftest import make_engagement


def test_yesterdays_and_missing_analyses_are_refreshed_once(container: Container) -> None:
    analysed = make_engagement(container, vendor="株式会社ひかり架電")
    never = make_engagement(container, vendor="株式会社みなと営業")
    store_document(
        container=container,
        data=DocumentInput(
            engagement_id=analysed,
            kind="vendor_report",
            date=dt.date.today(),
            period=dt.date.today().strftime("%Y-%m"),
            title="今月のご報告",
            text="今月の架電数は900件、アポ獲得数は14件でした。来月は新しいリストを試します。",
        ),
    )
    assert stale_engagements(container=container) == [never]
    with container.session_factory() as session:
        session.execute(
            update(AnalysisResult)
            .where(AnalysisResult.engagement_id == analysed)
            .values(as_of=dt.date.today() - dt.timedelta(days=1))
        )
        session.commit()
    assert stale_engagements(container=container) == [analysed, never]

    assert refresh_stale(container=container) == 2
    assert stale_engagements(container=container) == []
    assert refresh_stale(container=container) == 0


def test_a_second_worker_skips_what_the_first_has_just_refreshed(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    engagements = [make_engagement(container, vendor=f"株式会社よつば{n}号") for n in range(3)]
    seen_before = stale_engagements(container=container)  # the second worker's list, taken
    assert seen_before == engagements  # while the first was still working through it
    assert refresh_stale(container=container) == 3

    real = stale_engagements

    def list_from_before(
        *, container: Container, among: Collection[int] | None = None
    ) -> list[int]:
        return list(seen_before) if among is None else real(container=container, among=among)

    monkeypatch.setattr("app.workflows.stale_engagements", list_from_before)
    # Each one is asked about again just before its turn: nothing is analysed twice.
    assert refresh_stale(container=container) == 0
