"""What pages read of every stored analysis follows each new stored version, and leaves out
stale ones when asked (the comparison then computes those)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from app.analyse.service import refresh_analysis
from app.analyse.stored import stored_digests
from app.container import Container
from app.ingest.service import DocumentInput, ingest_document
from app.store.models import AnalysisResult
from tests.conftest import make_engagement


def _digest(container: Container, *, current_only: bool) -> dict[int, int]:
    return stored_digests(
        container=container,
        slot="documents-seen",
        digest=lambda analysis: len(analysis.kpi_table),
        current_only=current_only,
    )


def test_digests_follow_each_stored_version_and_skip_stale_ones(container: Container) -> None:
    engagement_id = make_engagement(container)
    refresh_analysis(container=container, engagement_id=engagement_id)
    assert _digest(container, current_only=True) == {engagement_id: 0}
    ingest_document(
        container=container,
        data=DocumentInput(
            engagement_id=engagement_id,
            kind="vendor_report",
            date=dt.date.today(),
            period="2025-04",
            title="2025年4月度 報告",
            text="| 指標 | 目標 | 実績 |\n|---|---|---|\n| アポ獲得数 | 30件 | 18件 |",
        ),
    )
    refresh_analysis(container=container, engagement_id=engagement_id)
    assert _digest(container, current_only=True) == {engagement_id: 1}  # the new version

    with container.session_factory() as session:
        session.execute(update(AnalysisResult).values(as_of=dt.date.today() - dt.timedelta(days=1)))
        session.commit()
    assert _digest(container, current_only=True) == {}
    assert _digest(container, current_only=False) == {engagement_id: 1}
