"""Table reading rules: section scope, units, measure columns, two-row titles, transition rates."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.analyse.kpi import extract_kpis
from app.knowledge.kpi import KpiKnowledge, load_kpi_knowledge

KNOWLEDGE_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "kpi.yaml"


@pytest.fixture(scope="module")
def knowledge() -> KpiKnowledge:
    return load_kpi_knowledge(KNOWLEDGE_FILE)


def read(
    knowledge: KpiKnowledge, text: str, period: str | None = "2026-05"
) -> dict[tuple[str, str | None], float]:
    return {
        (m.key, m.period): m.value for m in extract_kpis(text, period=period, knowledge=knowledge)
    }


def test_a_breakdown_heading_keeps_the_total_row_of_its_table(knowledge: KpiKnowledge) -> None:
    text = """## チャネル別
| チャネル | 架電数 | アポ数 |
|---|---|---|
| 展示会リスト | 410 | 6 |
| 購入リスト | 380 | 3 |
| 合計 | 790 | 9 |

## チャネル別の所感
展示会リストのアポは6件でした。
"""
    assert read(knowledge, text) == {("calls", "2026-05"): 790, ("appointments", "2026-05"): 9}


def test_a_weekly_heading_keeps_the_month_total_column_and_drops_the_weeks(
    knowledge: KpiKnowledge,
) -> None:
    text = """## 5月 週次推移
| 指標 | 第1週 | 第2週 | 月計 |
|---|---|---|---|
| 架電数 | 300 | 320 | 620 |
"""
    assert read(knowledge, text) == {("calls", "2026-05"): 620}
    without_total = text.replace(" 月計 |", "").replace(" 620 |", "")
    assert read(knowledge, without_total) == {}


def test_a_plan_heading_still_blocks_its_table(knowledge: KpiKnowledge) -> None:
    text = "## 6月の計画\n| 指標 | 数値 |\n|---|---|\n| 架電数 | 1,500 |\n"
    assert read(knowledge, text) == {}


def test_a_sheet_named_kpi_holds_the_months_figures_but_a_kpi_sentence_is_a_target(
    knowledge: KpiKnowledge,
) -> None:
    sheet = "## 5月KPI\n\n| 指標 | 実績 |\n|---|---|\n| アポ数 | 13 |\n"
    assert read(knowledge, sheet) == {("appointments", "2026-05"): 13}
    assert read(knowledge, "今期のKPIはアポ20件です。") == {}


def test_a_plan_versus_actual_heading_reads_the_actual_column(knowledge: KpiKnowledge) -> None:
    text = "■ 予実対比\n| 項目 | 5月計画 | 5月実績 |\n|---|---|---|\n| 商談数 | 10 | 12 |\n"
    assert read(knowledge, text) == {("opportunities", "2026-05"): 12}


def test_a_unit_note_above_a_table_scales_its_bare_amounts(knowledge: KpiKnowledge) -> None:
    text = "5月 受注実績\n（単位：千円）\n\n| 区分 | 計画 | 実績 |\n|---|---|---|\n| 受注金額 | 4,000 | 4,350 |\n| 受注件数 | 4 | 5 |\n"
    assert read(knowledge, text) == {("revenue", "2026-05"): 4_350_000, ("deals", "2026-05"): 5}


def test_a_unit_column_gives_each_rows_unit(knowledge: KpiKnowledge) -> None:
    text = """| 指標 | 単位 | 目標 | 実績 |
|---|---|---|---|
| 成約件数 | 件 | 5 | 6 |
| 成約金額 | 万円 | 500 | 640 |
"""
    assert read(knowledge, text) == {("deals", "2026-05"): 6, ("revenue", "2026-05"): 6_400_000}


def test_an_amount_column_gives_the_amount_of_the_rows_stage(knowledge: KpiKnowledge) -> None:
    text = """| 項目 | 件数 | 金額(千円) |
|---|---|---|
| 有効商談 | 11 |  |
| 受注 | 3 | 2,900 |
"""
    assert read(knowledge, text) == {
        ("opportunities", "2026-05"): 11,
        ("deals", "2026-05"): 3,
        ("revenue", "2026-05"): 2_900_000,
    }


def test_a_yen_figure_in_a_note_column_is_the_amount_of_the_rows_stage(
    knowledge: KpiKnowledge,
) -> None:
    text = "項目 | 件数 | 備考\n商談 | 6 | 見積提示済み\n受注 | 2 | 計1,150,000円\n"
    assert read(knowledge, text) == {
        ("opportunities", "2026-05"): 6,
        ("deals", "2026-05"): 2,
        ("revenue", "2026-05"): 1_150_000,
    }


def test_merged_titles_over_a_second_title_row(knowledge: KpiKnowledge) -> None:
    text = """|  | アポ |  | 受注 |  |
|---|---|---|---|---|
| 月 | 目標 | 実績 | 目標 | 実績 |
| 4月 | 20 | 18 | 3 | 2 |
| 5月 | 20 | 23 | 3 | 4 |
"""
    assert read(knowledge, text) == {
        ("appointments", "2026-04"): 18,
        ("deals", "2026-04"): 2,
        ("appointments", "2026-05"): 23,
        ("deals", "2026-05"): 4,
    }


def test_a_transition_rate_is_the_rate_of_the_stage_it_moves_into(
    knowledge: KpiKnowledge,
) -> None:
    text = """| 項目 | 実績 |
|---|---|
| リード→アポ 転換率 | 8.5% |
| アポ→商談 移行率 | 44.0% |
| 商談→受注 移行率 | 20.0% |
| アポ数 実績 | 21 |
"""
    assert read(knowledge, text) == {
        ("appointment_rate", "2026-05"): 8.5,
        ("opportunity_rate", "2026-05"): 44.0,
        ("appointments", "2026-05"): 21,
    }


def test_a_table_cut_off_after_an_opening_pipe_is_still_read(knowledge: KpiKnowledge) -> None:
    text = "| 指標 | 5月 |\n|---|---|\n| 架電数 | 1,100 |\n| アポ数 | 12 |\n| "
    assert read(knowledge, text) == {("calls", "2026-05"): 1100, ("appointments", "2026-05"): 12}


def test_a_gloss_naming_another_kpi_says_what_the_row_counts(knowledge: KpiKnowledge) -> None:
    text = "| 指標 | 実績 |\n|---|---|\n| コール数（担当者接続） | 301 |\n| 架電数（総発信） | 1,480 |\n"
    assert read(knowledge, text) == {("connections", "2026-05"): 301, ("calls", "2026-05"): 1480}
    # A note on the denominator is no gloss: 「アポ率（対接続）」 stays the appointment rate.
    rate = "| 指標 | 実績 |\n|---|---|\n| アポ率（対接続） | 4.9% |\n"
    assert read(knowledge, rate) == {("appointment_rate", "2026-05"): 4.9}


def test_a_qualified_row_gives_way_to_the_plain_one(knowledge: KpiKnowledge) -> None:
    text = "| 指標 | 実績 |\n|---|---|\n| 決裁者アポ | 7 |\n| アポ獲得数 | 19 |\n"
    assert read(knowledge, text) == {("appointments", "2026-05"): 19}
    # Alone, it is the table's figure for the KPI; a numbered or month-named row is plain.
    alone = "| 指標 | 実績 |\n|---|---|\n| 新規アポ | 7 |\n"
    assert read(knowledge, alone) == {("appointments", "2026-05"): 7}
    numbered = "| 指標 | 実績 |\n|---|---|\n| ①架電数 | 1,200 |\n| 5月架電数 | 1,100 |\n"
    assert read(knowledge, numbered) == {("calls", "2026-05"): 1200}


def test_quarter_and_difference_columns_are_not_the_month(knowledge: KpiKnowledge) -> None:
    text = "| KPI | Q3 | Δ |\n|---|---|---|\n| Calls | 6,000 | +120 |\n"
    assert read(knowledge, text) == {}
