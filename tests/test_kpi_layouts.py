"""KPI reading across layouts, modifiers, periods and conflicts (issue 10)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.analyse.kpi import extract_kpis, extract_unrecognised, stated_period
from app.core.facts import DocumentFacts, kpi_points, merge_kpi_points
from app.knowledge.kpi import KpiKnowledge, SynonymOverlay, load_kpi_knowledge, with_synonyms

KNOWLEDGE_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "kpi.yaml"


@pytest.fixture(scope="module")
def knowledge() -> KpiKnowledge:
    return load_kpi_knowledge(KNOWLEDGE_FILE)


def read(
    knowledge: KpiKnowledge, text: str, period: str | None = "2026-10"
) -> dict[tuple[str, str | None], float]:
    return {
        (m.key, m.period): m.value for m in extract_kpis(text, period=period, knowledge=knowledge)
    }


def test_tab_separated_months_as_columns_give_a_value_per_month(knowledge: KpiKnowledge) -> None:
    text = "指標\t8月\t9月\t10月\nコール数\t1,100\t1,150\t1,240\nアポ獲得件数\t10\t12\t14\n"
    found = read(knowledge, text)
    assert found[("calls", "2026-08")] == 1100
    assert found[("calls", "2026-10")] == 1240
    assert found[("appointments", "2026-09")] == 12


def test_aligned_table_with_person_rows_takes_the_total_row(knowledge: KpiKnowledge) -> None:
    text = "担当      架電    アポ\n佐々木     500      5\n三好       480      4\n合計       980      9\n"
    assert read(knowledge, text) == {("calls", "2026-10"): 980, ("appointments", "2026-10"): 9}


def test_bare_pipe_table_with_english_headers(knowledge: KpiKnowledge) -> None:
    text = "Metric | Target | Actual\nDials | 1,500 | 1,420\nAppt rate | 1.2% | 1.1%\n"
    assert read(knowledge, text) == {
        ("calls", "2026-10"): 1420,
        ("appointment_rate", "2026-10"): 1.1,
    }


def test_each_table_value_is_cited_to_its_cell(knowledge: KpiKnowledge) -> None:
    text = "| 指標 | 9月 | 10月 |\n|---|---|---|\n| 商談数 | 8件 | 11件 |\n"
    quotes = {m.period: m.quote for m in extract_kpis(text, period="2026-10", knowledge=knowledge)}
    assert quotes == {"2026-09": "8件", "2026-10": "11件"}


def test_kanji_numerals_multipliers_and_approximate_figures(knowledge: KpiKnowledge) -> None:
    mentions = extract_kpis(
        "今月の受注は三件、受注金額は約165万円、架電は1.2万件でした。",
        period="2026-10",
        knowledge=knowledge,
    )
    found = {m.key: (m.value, m.approximate) for m in mentions}
    assert found == {"deals": (3, False), "revenue": (1_650_000, True), "calls": (12_000, False)}


def test_named_earlier_month_in_prose_keeps_its_own_period(knowledge: KpiKnowledge) -> None:
    found = read(knowledge, "9月はアポ12件でしたが、10月はアポ15件でした。")
    assert found == {("appointments", "2026-09"): 12, ("appointments", "2026-10"): 15}


def test_relative_previous_month_and_targets_are_not_actuals(knowledge: KpiKnowledge) -> None:
    assert read(knowledge, "前月はアポ12件、今月の目標はアポ20件です。") == {}


def test_parenthetical_modifiers_in_labels(knowledge: KpiKnowledge) -> None:
    text = "| 項目 | 実績 |\n|---|---|\n| アポ数（累計） | 80件 |\n| アポ数（前月比） | +3件 |\n| アポ数 | 14件 |\n"
    assert read(knowledge, text) == {("appointments", "2026-10"): 14}


def test_period_stated_in_the_text_when_metadata_has_none(knowledge: KpiKnowledge) -> None:
    assert str(stated_period("令和8年2月度 活動報告")) == "2026-02"
    assert str(stated_period("報告 2026/2")) == "2026-02"
    assert read(knowledge, "2025年11月度 報告\n- アポ数：14件\n", period=None) == {
        ("appointments", "2025-11"): 14
    }


def test_unrecognised_metric_rows_are_kept_for_mapping(knowledge: KpiKnowledge) -> None:
    text = "| 指標 | 実績 |\n|---|---|\n| 架電数 | 100件 |\n| デモ実施数 | 12件 |\n| 田中 | 3 |\n"
    rows = extract_unrecognised(text, knowledge=knowledge)
    assert [(r.label, r.value_text) for r in rows] == [("デモ実施数", "12件")]
    assert text[rows[0].start : rows[0].end] == "| デモ実施数 | 12件 |"


def test_a_mapped_label_is_read_as_its_kpi(knowledge: KpiKnowledge) -> None:
    mapped = with_synonyms(knowledge, SynonymOverlay(synonyms={"opportunities": ["デモ実施数"]}))
    text = "| 指標 | 実績 |\n|---|---|\n| デモ実施数 | 12件 |\n"
    assert read(mapped, text) == {("opportunities", "2026-10"): 12}


def _document(id_: int, kind: str, text: str, period: str) -> DocumentFacts:
    return DocumentFacts(id_, kind, dt.date(2026, 2, 5), period, "", text, f"h{id_}")


def test_report_actual_wins_over_a_quoted_target_and_the_conflict_is_listed(
    knowledge: KpiKnowledge,
) -> None:
    report = _document(1, "vendor_report", "- アポ数：16件\n", "2026-01")
    mail = _document(
        2, "email", "お世話になっております。\n> 1月のアポ数：15件\nご確認ください。\n", "2026-01"
    )
    stated = {
        d.id: extract_kpis(d.text, period=d.period, knowledge=knowledge) for d in (report, mail)
    }
    points = kpi_points(
        vendor_name="株式会社ミナト", documents=[report, mail], stated=stated, corrections=[]
    )
    values, conflicts = merge_kpi_points(points)
    assert values["2026-01"]["appointments"].value == 16
    assert [(c.chosen.value, c.other.value) for c in conflicts] == [(16, 15)]


def test_own_period_statement_wins_over_a_later_retrospective(knowledge: KpiKnowledge) -> None:
    september = _document(1, "vendor_report", "- アポ数：12件\n", "2026-09")
    october = _document(2, "vendor_report", "9月はアポ13件、10月はアポ15件でした。\n", "2026-10")
    stated = {
        d.id: extract_kpis(d.text, period=d.period, knowledge=knowledge)
        for d in (september, october)
    }
    points = kpi_points(
        vendor_name="A", documents=[september, october], stated=stated, corrections=[]
    )
    values, conflicts = merge_kpi_points(points)
    assert values["2026-09"]["appointments"].document_id == 1
    assert len(conflicts) == 1
