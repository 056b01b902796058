"""KPI extraction: actual figures only, with quotes that point at the original characters."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.analyse.kpi import (
    KpiKnowledge,
    KpiMention,
    extract_kpis,
)
from app.errors import ConfigError, InvalidInput
from app.knowledge.kpi import load_kpi_knowledge

KNOWLEDGE_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "kpi.yaml"


@pytest.fixture(scope="module")
def knowledge() -> KpiKnowledge:
    return load_kpi_knowledge(KNOWLEDGE_FILE)


def figures(knowledge: KpiKnowledge, text: str, period: str | None = "2026-03") -> dict[str, float]:
    """The document's own period's figures (others are in `by_period`)."""
    mentions = extract_kpis(text, period=period, knowledge=knowledge)
    return {m.key: m.value for m in mentions if m.period == period}


def by_period(
    knowledge: KpiKnowledge, text: str, period: str | None = "2026-03"
) -> dict[tuple[str, str | None], float]:
    mentions = extract_kpis(text, period=period, knowledge=knowledge)
    return {(m.key, m.period): m.value for m in mentions}


# --- tables ------------------------------------------------------------------------------------


def test_table_takes_the_actual_column_not_target_previous_or_ratio(
    knowledge: KpiKnowledge,
) -> None:
    text = """## 3月度 サマリー
| 指標 | 月間目標 | 3月実績 | 前月（2月）実績 | 達成率 |
|---|---|---|---|---|
| 架電数 | 1,800件 | 1,752件 | 1,690件 | 97% |
| 担当者接続数 | ― | 498件 | 455件 | ― |
| アポイント数 | 36件 | 38件 | 31件 | 106% |
| 商談化率 | 55% | 57.9% | 51.6% | ― |
"""
    assert figures(knowledge, text) == {
        "calls": 1752,
        "connections": 498,
        "appointments": 38,
        "opportunity_rate": 57.9,
    }


def test_table_with_months_as_columns_takes_the_reporting_month(knowledge: KpiKnowledge) -> None:
    text = """| 指標 | 1月 | 2月 | 3月 |
|---|---|---|---|
| 有効商談数 | 14 | 17 | 19 |
| 成約件数 | 3 | 4 | 6 |
"""
    assert figures(knowledge, text) == {"opportunities": 19, "deals": 6}


def test_table_with_months_as_rows_takes_the_reporting_month(knowledge: KpiKnowledge) -> None:
    text = """■ 月別の推移
| 月 | リード獲得数 | 売上（万円） |
|---|---|---|
| 2026年2月 | 85 | 310 |
| 2026年3月 | 92 | 355 |
"""
    assert figures(knowledge, text) == {"leads": 92, "revenue": 3_550_000}


def test_table_with_a_remarks_column_takes_the_column_of_figures(knowledge: KpiKnowledge) -> None:
    text = """| 項目 | 数値 | 備考 |
|---|---|---|
| 発信数 | 1,430件 | 稼働19日 |
| 受注 | 0件 | 検討中2社 |
"""
    assert figures(knowledge, text) == {"calls": 1430, "deals": 0}


def test_table_of_weekly_or_unlabelled_breakdowns_is_ignored(knowledge: KpiKnowledge) -> None:
    text = """■ 週ごとの推移
| 週 | 架電数 | アポ数 |
|---|---|---|
| 第1週 | 402件 | 9件 |
| 第2週 | 377件 | 8件 |

| チーム | 架電数 |
|---|---|
| 東京 | 900件 |
| 大阪 | 850件 |
"""
    assert figures(knowledge, text) == {}


# --- bullets and prose ------------------------------------------------------------------------


def test_full_width_digits_and_punctuation(knowledge: KpiKnowledge) -> None:
    text = "・架電件数：２，４１０件\n・接続数：６０２件\n・アポ獲得率：４．５％\n・受注金額：３８０万円"
    assert figures(knowledge, text) == {
        "calls": 2410,
        "connections": 602,
        "appointment_rate": 4.5,
        "revenue": 3_800_000,
    }


def test_bare_numbers_only_after_a_colon_or_at_the_end_of_a_line(knowledge: KpiKnowledge) -> None:
    assert figures(knowledge, "- コール数：980\n- アポ 14") == {"calls": 980, "appointments": 14}
    assert figures(knowledge, "架電 3 名体制で対応しました。") == {}


def test_a_katakana_term_does_not_end_inside_a_katakana_word(knowledge: KpiKnowledge) -> None:
    # 訪問 + アポイント (not the term 訪問アポ followed by イント); コール is not コールセンター.
    assert figures(knowledge, "一、訪問アポイント　１１件（目標１２件）") == {"appointments": 11}
    assert figures(knowledge, "コールセンター3件を新設しました。") == {}


def test_meetings_held_and_the_prospects_contracts(knowledge: KpiKnowledge) -> None:
    text = "アポイント１４件、面談実施７件、ご契約は２件でございました。"
    assert figures(knowledge, text) == {"appointments": 14, "opportunities": 7, "deals": 2}
    # The outsourcing contract's own fee is no result.
    assert figures(knowledge, "契約金額 月額60万円（税別）") == {}


def test_bullet_target_in_brackets_is_not_the_actual(knowledge: KpiKnowledge) -> None:
    text = "- アポイント獲得数：２７件（目標３５件、達成率77％）\n- 商談件数：12件（目標15件）"
    assert figures(knowledge, text) == {"appointments": 27, "opportunities": 12}


def test_prose_sentence_with_several_figures(knowledge: KpiKnowledge) -> None:
    text = (
        "3月はコール数2,050件、通話数514件、アポ数29件、商談数17件となり、"
        "商談化率は58.6%でした。受注は5件、売上は1,240,000円です。"
    )
    assert figures(knowledge, text) == {
        "calls": 2050,
        "connections": 514,
        "appointments": 29,
        "opportunities": 17,
        "opportunity_rate": 58.6,
        "deals": 5,
        "revenue": 1_240_000,
    }


def test_previous_month_and_month_over_month_figures_are_ignored(knowledge: KpiKnowledge) -> None:
    text = """※先月（2月）はアポ数22件、商談数11件でした。
- アポ数：前月比118%
- 商談数：前月 11件 → 今月 14件
アポ数は前月から4件増え、26件となりました。
"""
    # The change (4件増え) is skipped; the level it leads to (26件) is this month's figure.
    assert figures(knowledge, text) == {"opportunities": 14, "appointments": 26}


def test_previous_month_section_and_other_months_in_passing(knowledge: KpiKnowledge) -> None:
    text = """2月（アポ19件）と比べると、3月はアポ24件と大きく伸びました。

■ 前月実績（ご参考）
- 架電数：1,500件
"""
    assert figures(knowledge, text) == {"appointments": 24}


def test_targets_plans_and_forecasts_are_not_actuals(knowledge: KpiKnowledge) -> None:
    text = """今月の着地見込みはアポ40件です。
4月は架電数2,000件、アポ45件を目標とします。
架電数は月1,900件を予定しております。
KPIは商談数20件です。

■ 来月の計画
- 受注数：8件
"""
    assert figures(knowledge, text) == {}


def test_nested_bullets_under_a_target_bullet_are_targets(knowledge: KpiKnowledge) -> None:
    text = "- 3月の目標\n  - リード数：150件\n- 3月の実績\n  - リード数：138件\n  - 商談数：21件"
    assert figures(knowledge, text) == {"leads": 138, "opportunities": 21}


def test_thresholds_and_ranges_are_not_figures(knowledge: KpiKnowledge) -> None:
    text = "売上高50億円以上の企業を中心に架電しました。アポは20件前後で推移しています。"
    assert figures(knowledge, text) == {}


def test_weekly_and_cumulative_figures_are_not_the_monthly_actual(knowledge: KpiKnowledge) -> None:
    text = "第2週はアポ9件でした。累計アポ数は210件に達しました。1日あたり架電数：95件"
    assert figures(knowledge, text) == {}


def test_sub_counts_are_not_taken(knowledge: KpiKnowledge) -> None:
    text = """- アポ獲得数：30件（うち役員アポ12件）
アポ30件のうち、18件は製造業からでした。

■ 業種別の内訳
- 製造業のアポ：18件
"""
    assert figures(knowledge, text) == {"appointments": 30}


def test_a_part_of_another_kpi_is_that_kpis_own_figure(knowledge: KpiKnowledge) -> None:
    text = "アポ30件のうち、商談に至ったのは16件でした。"
    assert figures(knowledge, text) == {"appointments": 30, "opportunities": 16}
    assert figures(knowledge, "有効商談14件から成約3件が生まれました。") == {
        "opportunities": 14,
        "deals": 3,
    }


def test_a_part_of_a_whole_named_in_the_sentence_before(knowledge: KpiKnowledge) -> None:
    text = "反響リード55件に対し、訪問できたのは38件でした。このうち有効商談数は16件、受注数は1件です。"
    assert figures(knowledge, text) == {"leads": 55, "opportunities": 16, "deals": 1}
    assert figures(knowledge, "アポは31件でした。このうちアポ17件が運送業からです。") == {
        "appointments": 31
    }


def test_figures_from_a_segment_are_parts(knowledge: KpiKnowledge) -> None:
    text = "小売業から11件のアポを獲得しました。紹介リストからも受注2件がありました。"
    assert figures(knowledge, text) == {}


def test_only_segment_figures_give_no_total(knowledge: KpiKnowledge) -> None:
    text = "セミナー経由のアポが8件、Web経由のアポが13件でした。"
    assert figures(knowledge, text) == {}


def test_target_and_actual_given_together(knowledge: KpiKnowledge) -> None:
    text = (
        "- リード数：目標120件に対し実績131件\n- 成約数　目標：6件／実績：7件\n- アポ率：3.9%→4.4%"
    )
    assert figures(knowledge, text) == {"leads": 131, "deals": 7, "appointment_rate": 4.4}


def test_money_units_become_yen(knowledge: KpiKnowledge) -> None:
    cases = {
        "受注金額：245万円": 2_450_000,
        "売上は約1.5億円でした。": 150_000_000,
        "受注額：￥980,000": 980_000,
        "成約金額：720,000円": 720_000,
        "受注金額：2億6,100万円": 261_000_000,
        "| 受注金額 | ２億５，２００万円 |": 252_000_000,
    }
    for text, expected in cases.items():
        assert figures(knowledge, text) == {"revenue": expected}, text


def test_table_of_notes_states_figures_in_its_cells(knowledge: KpiKnowledge) -> None:
    text = """| 項目 | 内容 |
|---|---|
| 日時 | 2026年4月10日 17:00〜18:00 |
| 3月実績 | アポ獲得件数18件、受注件数2件 |
| 4月目標 | アポ獲得件数25件、受注件数4件 |
"""
    assert figures(knowledge, text) == {"appointments": 18, "deals": 2}


def test_a_figure_aimed_at_is_not_an_actual(knowledge: KpiKnowledge) -> None:
    text = "ご契約時に伺った「月20件のアポ」に向けて、50名以上の事業所から架電します。"
    assert figures(knowledge, text) == {}


def test_document_without_kpis_returns_nothing(knowledge: KpiKnowledge) -> None:
    text = """お世話になっております。
次回の定例は4月8日（水）15時からでお願いいたします。
当日は3名で伺います。資料は2部ご用意します。
"""
    assert extract_kpis(text, period="2026-03", knowledge=knowledge) == []
    assert extract_kpis("", period=None, knowledge=knowledge) == []


def test_without_a_period_only_figures_not_tied_to_a_month_count(knowledge: KpiKnowledge) -> None:
    text = "今月はアポ21件、商談12件でした。来月はアポ30件を目指します。"
    assert figures(knowledge, text, period=None) == {"appointments": 21, "opportunities": 12}
    assert figures(knowledge, "2月のアポは19件でした。", period=None) == {}


def test_previous_month_named_with_the_period_itself_is_the_period(
    knowledge: KpiKnowledge,
) -> None:
    text = "先月（3月）のアポは25件でした。"  # minutes of the March review, held in April
    assert figures(knowledge, text, period="2026-03") == {"appointments": 25}
    assert figures(knowledge, text, period="2026-04") == {}
    assert figures(knowledge, "前年3月のアポは25件でした。", period="2026-03") == {}


def test_month_of_another_year_is_another_period(knowledge: KpiKnowledge) -> None:
    assert figures(knowledge, "2025年3月のアポは15件でした。") == {}
    assert figures(knowledge, "2026年3月のアポは18件でした。") == {"appointments": 18}


def test_at_most_one_mention_per_key_the_first_actual(knowledge: KpiKnowledge) -> None:
    text = "- 架電数：1,830件\n\n架電数1,830件のうち、午後の架電は1,120件でした。"
    mentions = extract_kpis(text, period="2026-03", knowledge=knowledge)
    assert [(m.key, m.value) for m in mentions] == [("calls", 1830)]


def test_an_invalid_period_is_rejected(knowledge: KpiKnowledge) -> None:
    with pytest.raises(InvalidInput):
        extract_kpis("架電数：100件", period="2026/03", knowledge=knowledge)


# --- evidence ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "■ ３月度実績\n・架電数：１，７５２件\n・アポ獲得数：３８件（目標３６件）",
        "| 指標 | 実績 |\n|---|---|\n| 商談数 | １９件 |\n| 商談化率 | ５０．０％ |",
        "　今月は架電２，０５０件、アポ２９件でした。受注金額は４２０万円です。",
    ],
)
def test_quote_is_the_original_text_at_the_span(knowledge: KpiKnowledge, text: str) -> None:
    mentions = extract_kpis(text, period="2026-03", knowledge=knowledge)
    assert mentions
    for mention in mentions:
        assert isinstance(mention, KpiMention)
        assert mention.quote == text[mention.start : mention.end]
        assert mention.quote.strip() == mention.quote


def test_evidence_is_the_row_the_bullet_or_the_clause(knowledge: KpiKnowledge) -> None:
    text = "| 指標 | 実績 |\n|---|---|\n| 架電数 | 900件 |\n- 接続数：２１０件\n商談は8件で、受注は2件でした。"
    quotes = {m.key: m.quote for m in extract_kpis(text, period="2026-03", knowledge=knowledge)}
    assert quotes == {
        "calls": "900件",
        "connections": "接続数：２１０件",
        "opportunities": "商談は8件で",
        "deals": "受注は2件でした",
    }


# --- the knowledge file -----------------------------------------------------------------------


def _write_variant(tmp_path: Path, change: dict[str, object], *, drop: str = "") -> Path:
    data = yaml.safe_load(KNOWLEDGE_FILE.read_text(encoding="utf-8"))
    for dotted, value in change.items():
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[last] = value
    if drop:
        *parents, last = drop.split(".")
        node = data
        for part in parents:
            node = node[part]
        del node[last]
    path = tmp_path / "kpi.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_repository_knowledge_file_covers_every_canonical_key(knowledge: KpiKnowledge) -> None:
    assert set(knowledge.kpis) == {
        "calls",
        "connections",
        "appointments",
        "appointment_rate",
        "opportunities",
        "opportunity_rate",
        "deals",
        "leads",
        "revenue",
    }


def test_users_tune_synonyms_in_yaml_without_code(tmp_path: Path) -> None:
    synonyms = ["アポ数", "面談設定数"]
    path = _write_variant(tmp_path, {"kpis.appointments.synonyms": synonyms})
    tuned = load_kpi_knowledge(path)
    assert figures(tuned, "- 面談設定数：14件") == {"appointments": 14}


@pytest.mark.parametrize(
    ("change", "drop", "field"),
    [
        ({"kpis.deals.unit": "pieces"}, "", "kpis.deals.unit"),
        ({"kpis.leads.synonyms": []}, "", "kpis.leads.synonyms"),
        ({}, "cues.target", "cues.target"),
        ({"cues.previous": ["前月", "予定"]}, "", "cues.previous"),
    ],
)
def test_broken_knowledge_names_the_file_and_the_field(
    tmp_path: Path, change: dict[str, object], drop: str, field: str
) -> None:
    path = _write_variant(tmp_path, change, drop=drop)
    with pytest.raises(ConfigError) as caught:
        load_kpi_knowledge(path)
    assert str(path) in caught.value.message
    assert field in caught.value.message
    assert caught.value.field_name == field or not caught.value.field_name


def test_unreadable_or_missing_knowledge_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 2\nkpis: [\n", encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    for path in (broken, missing):
        with pytest.raises(ConfigError) as caught:
            load_kpi_knowledge(path)
        assert str(path) in caught.value.message
