"""KPI readings added for reports by new authors (eval/kpi/tune2.yaml): list shapes, chat
logs, arrows, leader dots, corrections and hedged prose."""

from __future__ import annotations

import pytest

from app.knowledge.kpi import KpiKnowledge
from tests.kpi_reading import read, shipped_knowledge


@pytest.fixture(scope="module")
def knowledge() -> KpiKnowledge:
    return shipped_knowledge()


def plain(knowledge: KpiKnowledge, text: str) -> dict[str, float]:
    return {key: value for (key, _), value in read(knowledge, text).items()}


def test_bare_numbers_in_a_one_line_list_are_figures(knowledge: KpiKnowledge) -> None:
    found = plain(knowledge, "コール 2,010 / 接続 430 / アポ 21")
    assert found == {"calls": 2010, "connections": 430, "appointments": 21}


def test_a_bare_number_followed_by_a_date_is_not_a_list_item(knowledge: KpiKnowledge) -> None:
    assert "appointments" not in plain(knowledge, "次回のアポ 6 / 15 に実施します")


def test_bare_arrow_from_last_month_to_this_month_gives_the_later_figure(
    knowledge: KpiKnowledge,
) -> None:
    found = plain(knowledge, "・架電 1,410→1,502\n・アポ 13→17")
    assert found == {"calls": 1502, "appointments": 17}


def test_a_bare_number_before_a_bracketed_note_ends_its_item(knowledge: KpiKnowledge) -> None:
    assert plain(knowledge, "> 架電 1,777（前月 1,650）") == {"calls": 1777}


def test_leader_dots_may_touch_the_number(knowledge: KpiKnowledge) -> None:
    found = plain(knowledge, "■架電数……2,468件\n■受注数……4件")
    assert found == {"calls": 2468, "deals": 4}


def test_a_pointer_stands_for_a_colon(knowledge: KpiKnowledge) -> None:
    assert plain(knowledge, "◆ 今月\n  架電 ▶ 1,333\n  アポ ▶ 14") == {
        "calls": 1333,
        "appointments": 14,
    }


def test_a_chat_line_with_a_time_stamp_is_a_message_not_a_heading(
    knowledge: KpiKnowledge,
) -> None:
    text = "[09:41] 戸川: 6月の数字です\n[09:42] 戸川: 架電 1,212 / アポ 12"
    assert plain(knowledge, text) == {"calls": 1212, "appointments": 12}


def test_a_correction_word_after_a_figure_replaces_the_earlier_one(
    knowledge: KpiKnowledge,
) -> None:
    text = "6月の商談数は、当初14件とお伝えしましたが、精査の結果13件に訂正いたします。"
    assert plain(knowledge, text) == {"opportunities": 13}


def test_an_earlier_figure_named_as_the_error_of_the_right_one(knowledge: KpiKnowledge) -> None:
    text = "先日お送りした受注数5件は、4件の誤りでした。"
    assert plain(knowledge, text) == {"deals": 4}


def test_bracketed_wrong_and_right_marks(knowledge: KpiKnowledge) -> None:
    assert plain(knowledge, "・アポ数：（誤）22件→（正）21件") == {"appointments": 21}


def test_a_change_leads_on_to_the_level_after_it(knowledge: KpiKnowledge) -> None:
    assert plain(knowledge, "アポ獲得数は前月から2件増えて17件でした。") == {"appointments": 17}
    assert plain(knowledge, "商談は前月比+3件の12件でした。") == {"opportunities": 12}
    assert plain(knowledge, "架電数は2,000件を超え、2,064件となりました。") == {"calls": 2064}


def test_a_change_alone_is_still_no_level(knowledge: KpiKnowledge) -> None:
    assert plain(knowledge, "アポ数が4件増え、商談は7件でした。") == {"opportunities": 7}


def test_a_prospects_annual_sales_are_not_revenue(knowledge: KpiKnowledge) -> None:
    text = "訪問先（年間売上約12億円、年商の伸びも堅調）からアポを頂き、当月のアポは9件でした。"
    assert plain(knowledge, text) == {"appointments": 9}


def test_stage_and_measure_words_in_other_orders(knowledge: KpiKnowledge) -> None:
    assert plain(knowledge, "- リード獲得：412件") == {"leads": 412}
    assert plain(knowledge, "今月の獲得アポイントは計15件でした。") == {"appointments": 15}
    assert plain(knowledge, "架電に対してアポイントの獲得は11件でした。") == {"appointments": 11}
    assert plain(knowledge, "アポは月トータル 14件でした") == {"appointments": 14}


def test_a_target_set_against_the_actual_does_not_make_it_a_target(
    knowledge: KpiKnowledge,
) -> None:
    assert plain(knowledge, "目標の25件に対してアポは23件にとどまりました。") == {
        "appointments": 23
    }
    assert plain(knowledge, "目標はアポ25件です。") == {}


def test_a_part_of_another_kpi_after_uchi_is_that_kpis_figure(knowledge: KpiKnowledge) -> None:
    found = plain(knowledge, "商談は12社、うち3社が受注に至りました。")
    assert found == {"opportunities": 12, "deals": 3}
    assert plain(knowledge, "通電数は640件、このうち担当者接続は233件でした。") == {
        "connections": 233
    }


def test_a_note_mark_after_a_bare_figure_ends_its_item(knowledge: KpiKnowledge) -> None:
    assert plain(knowledge, "> アポ 11 ←うち1件はリスケ待ち") == {"appointments": 11}


def test_object_particle_and_topic_phrases_link_a_name_to_its_figure(
    knowledge: KpiKnowledge,
) -> None:
    assert plain(knowledge, "アポイントを14件獲得しました。") == {"appointments": 14}
    assert plain(knowledge, "商談については7件です。") == {"opportunities": 7}
    assert plain(knowledge, "受注に関しては3件でした。") == {"deals": 3}
    assert plain(knowledge, "来月はアポを15件取ります。") == {}


def test_a_cleft_may_end_in_noga(knowledge: KpiKnowledge) -> None:
    assert plain(knowledge, "商談に進んだのが8件でした。") == {"opportunities": 8}


def test_year_slash_month_titles_give_a_value_per_month(knowledge: KpiKnowledge) -> None:
    text = "| 指標 | 2026/04 | 2026/05 | 2026/06 |\n|---|---|---|---|\n| 架電 | 1,010 | 1,120 | 1,230 |\n"
    assert read(knowledge, text) == {
        ("calls", "2026-04"): 1010,
        ("calls", "2026-05"): 1120,
        ("calls", "2026-06"): 1230,
    }


def test_a_figure_after_a_later_month_in_the_same_clause_is_that_months(
    knowledge: KpiKnowledge,
) -> None:
    found = read(knowledge, "5月の架電は1,140件、6月は1,260件でした。")
    assert found == {("calls", "2026-05"): 1140, ("calls", "2026-06"): 1260}


def test_a_measure_word_heading_a_clause_gives_that_measure_of_the_stage(
    knowledge: KpiKnowledge,
) -> None:
    assert plain(knowledge, "受注 4件、金額 合計360万円") == {"deals": 4, "revenue": 3_600_000}
    assert plain(knowledge, "受注4件、金額：360万円") == {"deals": 4, "revenue": 3_600_000}


def test_a_unit_price_after_a_count_is_not_the_stages_amount(knowledge: KpiKnowledge) -> None:
    assert plain(knowledge, "受注は4件、平均単価 45万円でした。") == {"deals": 4}


def test_an_annual_contract_basis_note_keeps_the_months_revenue(knowledge: KpiKnowledge) -> None:
    text = "| 指標 | 目標 | 実績 |\n|---|---|---|\n| 受注金額（年間契約ベース） | ― | 210万円 |\n"
    assert plain(knowledge, text) == {"revenue": 2_100_000}
