"""What the fourth 課長 review found (issue 12, review round 7), as pure rules: follow-ups
checked against later documents (results as numbers, 一巡/受領, effects), a vendor's old
request to us as a short item, 「直近」 anchored to today, our decided term in conditions."""

from __future__ import annotations

import datetime as dt

from app.analyse.models import Citation
from app.core.facts import DocumentFacts
from app.draft.followups import deliverable_noun, follow_ups, is_deliverable, request_core


def document(id_: int, kind: str, date: dt.date, text: str) -> DocumentFacts:
    return DocumentFacts(id=id_, kind=kind, date=date, period=None, title="資料", text=text)


def proposal(quote: str, document_id: int = 1) -> Citation:
    return Citation(document_id=document_id, start=0, end=len(quote), quote=quote)


REPORT = document(1, "vendor_report", dt.date(2026, 4, 7), "")
LATER_MINUTES = document(
    2,
    "meeting_notes",
    dt.date(2026, 5, 14),
    "- 見本市名刺リスト経由の面談アポが31件中8件。\n"
    "- 見積書を事前送付した面談は、商談での検討が具体的とのこと。\n"
    "- 競合品との比較ポイントの整理資料を岸様から受領。\n",
)


def test_a_result_given_as_a_number_or_an_effect_answers_a_proposal() -> None:
    cards = proposal(
        "春の見本市で集めた来場者名刺（約300件）を優先リストとして扱いたいと考えております。"
    )
    quotes = proposal("面談の前に見積書を事前にお送りする運用を試したいと考えております。")
    elsewhere = proposal("給食センター向けの訪問を増やしたいと考えております。")
    found = follow_ups([cards, quotes, elsewhere], [REPORT, LATER_MINUTES])
    assert set(found) == {cards.quote, quotes.quote}
    assert all(f.effect for f in found.values())


def test_a_one_time_deliverable_taken_up_later_is_finished_not_a_measure_to_continue() -> None:
    promised = proposal(
        "保留理由に「競合品と比較中」が増えています。比較された点を整理し、5月の定例でご報告します。"
    )
    assert is_deliverable(promised.quote)
    found = follow_ups([promised], [REPORT, LATER_MINUTES])
    assert found[promised.quote].finished
    assert deliverable_noun(promised.quote) == "『競合品と比較中』の件で比較された点の整理"


def test_an_earlier_sentence_of_the_same_document_is_no_follow_up() -> None:
    same = document(1, "vendor_report", dt.date(2026, 4, 7), "名刺リストの架電は一巡しました。")
    cards = proposal("来場者の名刺リストへの架電を続けたいと考えております。")
    assert follow_ups([cards], [same]) == {}


def test_a_request_to_us_is_cut_to_what_it_asks() -> None:
    core, thing = request_core(
        "見本市名刺リストは架電を一巡しました。次は休眠顧客のうち約200件を対象にしたいと考えて"
        "おります。抽出をご相談させてください。"
    )
    assert core == "休眠顧客のうち約200件を対象にしたいと考えております。"
    assert thing == "抽出"


def test_nothing_is_recent_when_the_newest_document_is_weeks_old() -> None:
    from app.draft.context_period import is_stale, months_phrase, recent_label

    today = dt.date(2026, 9, 1)
    assert is_stale([dt.date(2026, 5, 10), dt.date(2026, 6, 20)], today)
    assert not is_stale([dt.date(2026, 8, 10)], today)
    assert (
        months_phrase(["2026-04", "2026-05", "2026-06"], "2026-06") == "ご報告いただいた直近3か月"
    )
    assert months_phrase(["2026-04", "2026-05", "2026-06"], "2026-06", stale=True) == (
        "ご報告いただいた4月・5月・6月"
    )
    assert recent_label(["2026-03", "2026-05", "2026-06"], 3) == "報告のある直近3か月（3・5・6月）"
    assert recent_label(["2026-04", "2026-05", "2026-06"], 3) == "直近3か月"


def test_a_rubric_term_range_follows_the_term_our_minutes_decided() -> None:
    from app.draft.context_memo import decided_term

    rubric = "更新期間を短く（3〜6か月）し、中間時点で成果を再評価する"
    decided = ["次期は4か月の短期更新で稟議を進める。", "月間受注5件を評価指標に加える。"]
    assert decided_term(rubric, decided) == "更新期間を短く（4か月）し、中間時点で成果を再評価する"
    assert decided_term(rubric, ["次回は12か月分の資料を持参する。"]) == rubric


def test_a_meeting_the_memo_would_call_risky_is_not_offered() -> None:
    from app.draft.schedule import safe_meetings, short_reply

    notice = dt.date(2026, 6, 19)  # Friday
    late = [dt.date(2026, 6, 16), dt.date(2026, 6, 17), dt.date(2026, 6, 18)]
    offered = safe_meetings(late, dt.date(2026, 6, 10), notice)
    assert offered == [dt.date(2026, 6, 11), dt.date(2026, 6, 12), dt.date(2026, 6, 15)]
    assert all((notice - d).days > 3 for d in offered)
    early = [dt.date(2026, 6, 8), dt.date(2026, 6, 9)]
    assert safe_meetings(early, dt.date(2026, 6, 3), notice) == early
    assert short_reply(dt.date(2026, 6, 3), dt.date(2026, 6, 10))
    assert not short_reply(dt.date(2026, 6, 1), dt.date(2026, 6, 15))


VENDOR = "株式会社ソラマメ営業支援"
NOTES = document(
    5,
    "meeting_notes",
    dt.date(2026, 6, 10),
    "出席者：\n- キタハラ物産：平田、水野（技術課）、森川（営業本部長）、岸田（同 課長）\n"
    "- ソラマメ営業支援：岸様（SV）、小池様\n\n■ 実績\n- 面談アポ30件。\n",
)
OLDER = document(
    4,
    "meeting_notes",
    dt.date(2026, 5, 12),
    "出席者：キタハラ物産 平田部長、岸田／ソラマメ営業支援 岸様\n",
)


def test_attendees_carry_their_titles_in_rank_order() -> None:
    from app.draft.attendance import with_titles

    ours = with_titles(["平田", "水野", "森川", "岸田"], [NOTES, OLDER], VENDOR, ours=True)
    assert ours == ["森川（営業本部長）", "平田（部長）", "岸田（課長）", "水野（技術課）"]
    theirs = with_titles(["岸様", "小池様"], [NOTES, OLDER], VENDOR, ours=False)
    assert theirs == ["岸様（SV）", "小池様"]


def test_signal_quotes_are_ranked_by_strength_not_by_who_wrote_first() -> None:
    from app.draft.evidence import ranked, sides

    mail = document(
        7, "email", dt.date(2026, 6, 12), "ソラマメ営業支援\n岸様\n\nキタハラ物産の平田です。"
    )
    report = document(
        8, "vendor_report", dt.date(2026, 6, 5), "キタハラ物産 平田様\n\nソラマメ営業支援の岸です。"
    )
    side = sides([mail, report, NOTES], VENDOR)
    assert side[5] == "minutes"
    ours = Citation(
        document_id=7,
        start=0,
        end=5,
        quote="引き継ぎも丁寧で、大変助かりました。ぜひお願いしたく存じます。",
    )
    observed = Citation(document_id=5, start=0, end=5, quote="引継ぎ後も連絡漏れはなかった。")
    reported = Citation(
        document_id=8, start=0, end=5, quote="引継ぎ書は6月12日に完成し、お送り済みです。"
    )
    assert ranked([ours, observed, reported], side) == [observed, reported, ours]


def test_the_documents_answer_open_internal_checks_where_they_speak() -> None:
    from app.draft.self_checks import spoken_checks
    from app.knowledge.drafts import CheckTopic

    season = "業界の需要や規制の変化、季節要因、予算凍結の影響を確認する"
    product = "自社製品の機能・価格・品質に問題がないか確認する"
    topics = {season: [CheckTopic(label="季節要因", pattern="繁忙期|閑散期")]}
    report = document(
        9, "vendor_report", dt.date(2026, 6, 5), "6月は繁忙期で店長の不在が続きました。"
    )
    spoken, remaining = spoken_checks([season, product], [report], topics)
    assert [f.text for f in spoken] == ["季節要因"]
    assert spoken[0].evidence[0].quote == "6月は繁忙期で店長の不在が続きました。"
    assert remaining == [product]


def test_the_vendor_s_own_observations_become_themes_for_new_value() -> None:
    from app.draft.leads import vendor_leads

    text = (
        "キタハラ物産 平田様\n\nソラマメ営業支援の岸です。\n"
        "- 物流倉庫は面談からの移行率が製造業の約2倍でした。\n"
        "- 次回の定例で資料をご確認いただけますでしょうか。\n"
        "- 新しいリストの抽出をご相談させてください。\n"
    )
    report = document(10, "vendor_report", dt.date(2026, 6, 5), text)
    leads = vendor_leads([report], VENDOR, ["約?\\d+倍", "移行率"], [])
    assert [c.quote for c in leads] == ["物流倉庫は面談からの移行率が製造業の約2倍でした。"]


def test_an_outlook_for_months_now_over_is_asked_about() -> None:
    from app.draft.followups import past_outlooks

    report = document(
        11,
        "vendor_report",
        dt.date(2026, 3, 6),
        "受注は累計で2件ですが、商談中の案件のうち12件は4〜5月に結論が出る見込みです。\n"
        "2月は面談アポ30件でした。\n",
    )
    asked = past_outlooks([report], {11}, dt.date(2026, 9, 1))
    assert [c.quote for c in asked] == ["商談中の案件のうち12件は4〜5月に結論が出る見込みです"]
    assert past_outlooks([report], {11}, dt.date(2026, 4, 20)) == []  # not over yet
    assert past_outlooks([report], set(), dt.date(2026, 9, 1)) == []  # not the vendor's


def test_the_stage_furthest_from_its_target_is_named() -> None:
    from app.draft.context_agenda import weakest_stage
    from app.draft.context_vendor import Figure

    def fig(key: str, label: str, period: str, value: float, target: float) -> Figure:
        return Figure(key, label, "count", period, value, target, None)

    figures = [
        fig("opportunities", "商談数", "2026-05", 14, 15),
        fig("deals", "受注数", "2026-05", 2, 3),
        fig("deals", "受注数", "2026-04", 0, 3),
    ]
    weakest = weakest_stage(figures)
    assert weakest is not None and weakest.label == "受注数" and weakest.period == "2026-05"


def test_a_todo_reads_as_a_noun_in_a_letter_and_an_average_above_target_is_not_near_it() -> None:
    from app.draft.framing import task_noun
    from app.knowledge.drafts import load_draft_config
    from app.settings import Settings

    assert task_noun("5月の定例で、商談での反応をまとめて報告") == "商談での反応のご報告"
    questions = load_draft_config(Settings().prompts_dir).questions
    assert "上回って" in questions.kpi_above_target


def test_a_result_and_the_proposal_behind_it_are_one_topic_a_passing_mention_is_not() -> None:
    from app.draft.followups import same_topic

    proposal = "訪問先の重点を、飲食店から物流倉庫・冷凍倉庫へ移す（訪問先の半分目安）"
    result = "訪問先を物流倉庫・冷凍倉庫に重点化したことで、面談アポが毎月増えています"
    other = (
        "繁忙期のため、『物流倉庫』向けの面談先には概算見積と導入事例を事前にメールでお送りします。"
    )
    assert same_topic(proposal, result)
    assert not same_topic(other, result)


def test_the_letter_is_copied_to_the_other_addressee_of_our_last_e_mail() -> None:
    from app.draft.parties import Parties, suggest_parties

    mail = document(
        12,
        "email",
        dt.date(2026, 6, 20),
        "株式会社ソラマメ営業支援\n岸様、小池様\n\nいつもお世話になっております。キタハラ物産の平田です。\n",
    )
    parties = suggest_parties(Parties(vendor_name=VENDOR, vendor_contact="岸"), [mail])
    assert parties.vendor_cc == "小池様"
    alone = document(
        13, "email", dt.date(2026, 6, 21), "株式会社ソラマメ営業支援\n岸様\n\n平田です。\n"
    )
    assert (
        suggest_parties(Parties(vendor_name=VENDOR, vendor_contact="岸"), [alone]).vendor_cc is None
    )


def test_a_decided_proposal_loses_its_old_time_phrase() -> None:
    from app.draft.framing import undated

    assert undated("6月以降は、受注件数を主目標に置いた評価指標を追加する") == (
        "受注件数を主目標に置いた評価指標を追加する"
    )
    assert undated("受注件数を追加する") == "受注件数を追加する"


def test_a_service_without_a_product_name_reads_as_a_letter_names_it() -> None:
    from app.draft.findings import readable
    from app.draft.framing import service_name

    assert service_name("テレアポ代行（中堅企業向け経費精算SaaS）") == (
        "中堅企業向け経費精算SaaSのテレアポ代行"
    )
    assert (
        readable("担当者交代が1回（2026-04）ありました") == "担当者交代が1回（2026年4月）ありました"
    )


def test_a_vendor_todo_its_month_report_may_hold_is_not_asked_again_in_a_shared_draft() -> None:
    from app.draft.audience import Readers
    from app.draft.context_vendor import owed_items
    from app.draft.todos import OpenItem
    from app.knowledge.drafts import load_draft_config
    from app.settings import Settings

    rules = load_draft_config(Settings().prompts_dir).audiences.vendor_text
    item = OpenItem(
        document_id=5,
        document_title="資料",
        document_date=dt.date(2026, 5, 12),
        period=None,
        start=0,
        end=5,
        quote="岸様：6月の定例で、商談での反応をまとめて報告",
        owner="岸様",
        task="6月の定例で、商談での反応をまとめて報告",
        due="6月",
        vendor_side=True,
        to_confirm=True,
    )
    shared = Readers(audience="external", citable_ids=frozenset({8}), references={})
    internal = Readers(audience="internal", citable_ids=frozenset({5, 8}), references={})
    assert owed_items([item], shared, rules, set()) == []
    assert len(owed_items([item], internal, rules, set())) == 1


def test_a_vendor_proposal_without_a_plain_form_is_a_short_item_not_a_raw_quote() -> None:
    from app.draft.framing import short_item
    from app.knowledge.drafts import load_draft_config
    from app.settings import Settings

    rules = load_draft_config(Settings().prompts_dir).audiences.vendor_text
    said = short_item(
        "面談直後の即時連絡：御社の顧客管理システムと連携し、面談から1時間以内に連絡する運用。"
        "他社事例では成約率が改善しています。",
        rules,
        [],
    )
    assert (
        said
        == "面談直後の即時連絡（当社の顧客管理システムと連携し、面談から1時間以内に連絡する運用）"
    )
    asked = short_item(
        "物流倉庫向けの比較表を作成したいと考えています。たたき台をご確認いただけますと幸いです。",
        rules,
        [],
    )
    assert asked == "物流倉庫向けの比較表を作成したいとのご提案"


def test_a_proposal_for_the_next_term_is_asked_for_details_not_results() -> None:
    from app.draft.followups import next_term

    text = (
        "■ 6月度 実績\n- 面談アポ30件。\n\n## 来期のご提案\n"
        "1. 資料請求直後の即時連絡：30分以内に連絡する運用。\n"
    )
    report = document(14, "vendor_report", dt.date(2026, 7, 6), text)
    start = text.index("資料請求直後")
    upcoming = Citation(document_id=14, start=start, end=len(text), quote=text[start:].strip())
    campaign = proposal("来期予算への計上を促す訴求を試したいと考えております。", document_id=14)
    assert next_term([upcoming, campaign], [report]) == [upcoming.quote]
