"""Prose reading rules: links, adverbs, clefts, quoted targets, leader dots, sub-count notes,
amounts beside counts, figures per month, corrections and restated figures, slash-separated
figures, a KPI named in brackets after the writer's label, parts of a whole of another noun."""

from __future__ import annotations

import pytest

from app.analyse.kpi import extract_kpis
from app.knowledge.kpi import KpiKnowledge
from tests.kpi_reading import read, shipped_knowledge


@pytest.fixture(scope="module")
def knowledge() -> KpiKnowledge:
    return shipped_knowledge()


def own(knowledge: KpiKnowledge, text: str) -> dict[str, float]:
    return {key: value for (key, period), value in read(knowledge, text).items()}


def test_a_link_followed_by_a_comma_still_reaches_the_actual(knowledge: KpiKnowledge) -> None:
    assert own(knowledge, "受注数は計画5件に対し、実績4件でした。") == {"deals": 4}


@pytest.mark.parametrize(
    "sentence",
    [
        "今月の架電数は最終的に1,380件でした。",
        "架電数は合計で1,380件です。",
        "架電は確定で1,380件となりました。",
    ],
)
def test_adverbs_between_a_name_and_its_figure(knowledge: KpiKnowledge, sentence: str) -> None:
    assert own(knowledge, sentence) == {"calls": 1380}


def test_a_cleft_after_a_noun_stem_links_the_name(knowledge: KpiKnowledge) -> None:
    assert own(knowledge, "訪問の結果、受注として確定したのは3件でした。") == {"deals": 3}
    # The later name owns the figure: not アポ = 2.
    assert own(knowledge, "アポとして商談化したのは2件でした。") == {"opportunities": 2}


def test_a_figure_quoted_as_a_target_is_not_an_actual(knowledge: KpiKnowledge) -> None:
    assert own(knowledge, "ご提示いただいたアポ15件という目標で合意しました。") == {}


def test_leader_dots_between_a_name_and_its_figure(knowledge: KpiKnowledge) -> None:
    text = "6月度 実績\n訪問 .......... 40件\n有効商談 ........ 12件\n受注 ............ 3件\n"
    assert own(knowledge, text) == {"opportunities": 12, "deals": 3}


def test_english_appointments_set_header(knowledge: KpiKnowledge) -> None:
    text = "| KPI | Actual | Plan |\n|---|---|---|\n| Appointments set | 19 | 20 |\n"
    assert own(knowledge, text) == {"appointments": 19}


def test_an_amount_beside_a_count_is_the_stages_amount(knowledge: KpiKnowledge) -> None:
    assert own(knowledge, "- 6月の受注：3件／270万円") == {"deals": 3, "revenue": 2_700_000}
    assert own(knowledge, "6月は受注2件（計185万円）となりました。") == {
        "deals": 2,
        "revenue": 1_850_000,
    }
    # A count KPI without an amount stage keeps the yen figure out.
    assert own(knowledge, "- アポ：12件／90万円") == {"appointments": 12}


def test_figures_given_month_by_month_after_one_name(knowledge: KpiKnowledge) -> None:
    text = "直近の商談数は4月7件、5月9件、6月10件です。"
    assert read(knowledge, text) == {
        ("opportunities", "2026-04"): 7,
        ("opportunities", "2026-05"): 9,
        ("opportunities", "2026-06"): 10,
    }


def test_months_dividing_a_quarter_are_read_with_their_amounts(knowledge: KpiKnowledge) -> None:
    text = "第1四半期の受注は、4月が1件（80万円）、5月が2件（計150万円）、6月が3件（計240万円）でした。"
    found = read(knowledge, text)
    assert found[("deals", "2026-04")] == 1
    assert found[("revenue", "2026-05")] == 1_500_000
    assert found[("deals", "2026-06")] == 3
    assert found[("revenue", "2026-06")] == 2_400_000
    assert len(found) == 6
    # A quarter's own total stays out.
    assert read(knowledge, "第1四半期の受注は6件でした。") == {}


def test_a_correction_replaces_the_figure_stated_before(knowledge: KpiKnowledge) -> None:
    text = "先日の報告でアポ数は15件とお伝えしましたが、重複が1件あり、正しくは14件でした。"
    assert own(knowledge, text) == {"appointments": 14}


def test_a_confirmed_figure_restates_the_kpi_named_just_before(knowledge: KpiKnowledge) -> None:
    text = "6月の商談数は9件でした。なお、5月の確定値は8件です。"
    assert read(knowledge, text) == {
        ("opportunities", "2026-06"): 9,
        ("opportunities", "2026-05"): 8,
    }
    # With no KPI named before, a confirmed figure is nobody's.
    assert read(knowledge, "5月の確定値は8件です。") == {}


def test_a_measure_word_restates_another_measure_of_the_stage(knowledge: KpiKnowledge) -> None:
    text = "6月のアポ率は1.2%、件数にして18件となりました。"
    assert own(knowledge, text) == {"appointment_rate": 1.2, "appointments": 18}


def test_a_total_line_under_a_heading_naming_the_kpi(knowledge: KpiKnowledge) -> None:
    text = "■ 担当者別 受注数（6月）\n・佐倉：2件\n・野々宮：1件\n→ 合計 3件\n"
    assert own(knowledge, text) == {"deals": 3}


def test_a_note_opened_by_uchi_holds_parts_of_the_figure_before_it(
    knowledge: KpiKnowledge,
) -> None:
    assert own(knowledge, "・アポ：16件（うちオンライン商談9件）") == {"appointments": 16}
    # A sentence that moves from one stage to the next states the later stage's figure.
    assert own(knowledge, "アポ16件のうち、商談化は9件でした。") == {
        "appointments": 16,
        "opportunities": 9,
    }


def test_quotes_map_back_past_characters_that_normalise_to_several(
    knowledge: KpiKnowledge,
) -> None:
    text = "㈱ミナモト様　①６月のアポ数：１２件（前月比＋２件）"
    [mention] = extract_kpis(text, period="2026-06", knowledge=knowledge)
    assert (mention.key, mention.value) == ("appointments", 12)
    assert mention.quote == text[mention.start : mention.end]
    assert mention.quote.endswith("６月のアポ数：１２件（前月比＋２件）")


def test_a_gloss_in_prose_says_what_the_figure_counts(knowledge: KpiKnowledge) -> None:
    assert own(knowledge, "・コール数（担当者接続）：296件") == {"connections": 296}


def test_a_word_written_onto_the_name_makes_a_part(knowledge: KpiKnowledge) -> None:
    text = "6月は決裁者アポ6件、アポ獲得数18件でした。"
    assert own(knowledge, text) == {"appointments": 18}
    assert own(knowledge, "6月は架電1,200件、今月アポ18件でした。") == {
        "calls": 1200,
        "appointments": 18,
    }


def test_a_forecast_named_yosou_is_not_an_actual(knowledge: KpiKnowledge) -> None:
    assert own(knowledge, "7月の予想はアポ20件です。") == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("アポ数は14件ではなく13件でした。", 13),
        ("【訂正】アポ数に誤りがありました（誤：14件、正：13件）。", 13),
        ("アポの確定値は13件です。", 13),
    ],
)
def test_correction_phrasings(knowledge: KpiKnowledge, text: str, expected: float) -> None:
    assert own(knowledge, text) == {"appointments": expected}


def test_a_slash_between_a_figure_and_the_next_label_separates_them(
    knowledge: KpiKnowledge,
) -> None:
    """「架電 1,410／接続 205／アポ 21」: one line, slashes without spaces; before a digit the
    slash is a date or a ratio and gives no figure."""
    assert own(knowledge, "架電 1,410／接続 205／アポ 21（前月比 -2）") == {
        "calls": 1410,
        "connections": 205,
        "appointments": 21,
    }
    assert "appointments" not in own(knowledge, "アポ 21/30件")


@pytest.mark.parametrize(
    "line",
    ["- オンライン面談予約（アポ）：31件（前月比 +4）", "・面談予約(アポ) 31件"],
)
def test_a_kpi_name_glossing_an_unknown_label_in_brackets_is_the_label(
    knowledge: KpiKnowledge, line: str
) -> None:
    """「デモ予約（アポ）：27件」: the writer's own label, the KPI named in brackets."""
    assert own(knowledge, line) == {"appointments": 31}


def test_a_part_of_a_whole_of_another_noun_is_the_kpis_own_figure(
    knowledge: KpiKnowledge,
) -> None:
    """「訪問した店舗は88店、そのうち商談が14件」: the whole is no KPI, so the part is the
    opportunities figure; a part of the same KPI still is not."""
    assert own(knowledge, "訪問した店舗は88店、そのうち商談が14件でした。") == {"opportunities": 14}
    assert own(knowledge, "アポ23件（うち新規10件）でした。") == {"appointments": 23}
