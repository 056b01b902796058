"""Pure rules behind drafts a person can send: audiences, parties, business days, the lint."""

from __future__ import annotations

import datetime as dt

from app.analyse.models import Citation
from app.core.facts import DocumentFacts
from app.draft.audience import internal_wording, letter_reference, readers_for
from app.draft.checks import audience_problems, date_problems, fact_problems, text_defects
from app.draft.citations import DraftCitation, without_markers
from app.draft.parties import Parties, suggest_parties
from app.knowledge.drafts import DEFAULT_AUDIENCE_FILE, load_audience
from app.renewals.timeline import (
    add_business_days,
    compute_timeline,
    is_business_day,
    review_dates,
)

VENDOR = "株式会社ミナミコール"
SPEC = load_audience(DEFAULT_AUDIENCE_FILE)


def document(id_: int, kind: str, text: str, *, period: str | None = "2025-10") -> DocumentFacts:
    return DocumentFacts(
        id=id_, kind=kind, date=dt.date(2025, 11, 6), period=period, title=f"文書{id_}", text=text
    )


REPORT = document(
    1,
    "vendor_report",
    "株式会社ヤマブキ製作所\n営業企画部 宮原様\n\nお世話になっております。ミナミコールの浜田です。\n"
    "10月度のご報告です。アポ獲得数は18件でした。",
)
MINUTES = document(2, "meeting_notes", "社長としては、来期の更新は慎重に判断したい。")
OUR_MAIL = document(
    3,
    "email",
    "株式会社ミナミコール\n浜田様\n\nお世話になっております。ヤマブキ製作所の宮原です。\n"
    "資料をお送りします。\n\n株式会社ヤマブキ製作所 営業企画部\n宮原",
    period=None,
)
THEIR_MAIL = document(
    4,
    "email",
    "ヤマブキ製作所 宮原様\n\nミナミコールの浜田です。11月の架電計画をお送りします。\n\n"
    "株式会社ミナミコール\n浜田 陽介",
    period=None,
)
DOCUMENTS = [REPORT, MINUTES, OUR_MAIL, THEIR_MAIL]


def cite(doc: DocumentFacts, quote: str) -> Citation:
    start = doc.text.index(quote)
    return Citation(document_id=doc.id, start=start, end=start + len(quote), quote=quote)


# --- audiences -------------------------------------------------------------------------------


def test_external_drafts_may_cite_only_what_the_vendor_sent() -> None:
    letter = readers_for("proposal_request", documents=DOCUMENTS, vendor_name=VENDOR, spec=SPEC)
    assert letter.external and letter.citable_ids == {REPORT.id, THEIR_MAIL.id}
    assert letter.allows(cite(REPORT, "アポ獲得数は18件でした。"))
    assert not letter.allows(cite(MINUTES, "来期の更新は慎重に判断したい"))
    assert not letter.allows(cite(OUR_MAIL, "資料をお送りします。"))  # our own e-mail
    memo = readers_for("memo", documents=DOCUMENTS, vendor_name=VENDOR, spec=SPEC)
    assert not memo.external and memo.allows(cite(MINUTES, "来期の更新は慎重に判断したい"))
    assert readers_for(
        "agenda_external", documents=DOCUMENTS, vendor_name=VENDOR, spec=SPEC
    ).external
    assert not readers_for("agenda", documents=DOCUMENTS, vendor_name=VENDOR, spec=SPEC).external


def test_a_letter_names_the_vendors_documents_as_a_letter_would() -> None:
    assert letter_reference(REPORT, SPEC) == "貴社2025年10月度ご報告"
    assert letter_reference(THEIR_MAIL, SPEC) == "貴社2025年11月6日付のメール"


def test_audience_check_finds_client_quotes_citations_and_internal_wording() -> None:
    citations = [
        DraftCitation(document_id=REPORT.id, start=0, end=4, quote="アポ獲得数"),
        DraftCitation(document_id=MINUTES.id, start=0, end=4, quote="社長として"),
    ]
    text = "「社長としては、来期の更新は慎重に判断したい。」[2]\n依存度（丸投げ）に懸念があります（懸念 6 件）。"
    problems = audience_problems(
        text,
        citations,
        citable_ids=frozenset({REPORT.id}),
        client_texts=[MINUTES.text],
        internal_terms=SPEC.internal_terms,
    )
    assert any("[2]" in p for p in problems)
    assert any("自社側の文書の引用" in p for p in problems)
    assert any("丸投げ" in p for p in problems) and any("懸念" in p for p in problems)
    clean = "貴社10月度ご報告では、アポ数は18件とのことでした[1]。"
    assert (
        audience_problems(
            clean,
            citations,
            citable_ids=frozenset({REPORT.id}),
            client_texts=[MINUTES.text],
            internal_terms=SPEC.internal_terms,
        )
        == []
    )
    assert internal_wording("現時点の分析では「条件付き更新」が妥当と見ています", SPEC)


def test_an_external_export_carries_no_markers() -> None:
    assert (
        without_markers("アポ数は18件でした[1][2]。\n- 項目[3]\n")
        == "アポ数は18件でした。\n- 項目\n"
    )


# --- parties ---------------------------------------------------------------------------------


def test_parties_are_suggested_from_introductions_address_lines_and_signatures() -> None:
    suggested = suggest_parties(Parties(vendor_name=VENDOR), DOCUMENTS)
    assert (
        suggested.vendor_contact == "浜田 陽介"
    )  # the introduction's 浜田, named in full by the signature
    assert suggested.client_company == "株式会社ヤマブキ製作所"
    assert suggested.client_department == "営業企画部"
    assert suggested.client_contact == "宮原"
    assert suggested.addressee_lines == [VENDOR, "【ご所属】　浜田 陽介様"]
    assert suggested.sender_lines == ["株式会社ヤマブキ製作所", "営業企画部　宮原"]
    assert "vendor_contact" in suggested.suggested
    stored = Parties(vendor_name=VENDOR, vendor_contact="藤田", vendor_department="営業部")
    kept = suggest_parties(stored, DOCUMENTS)
    assert kept.salutation == f"{VENDOR}　営業部　藤田様"  # what the user entered wins
    assert "vendor_contact" not in kept.suggested


def test_a_company_named_without_its_legal_form_is_still_suggested() -> None:
    report = document(9, "vendor_report", "アオバ化成 水野様\n\nミナミコールの浜田です。\n")
    suggested = suggest_parties(Parties(vendor_name=VENDOR), [report])
    assert (suggested.client_company, suggested.client_contact) == ("アオバ化成", "水野")
    with_full = suggest_parties(Parties(vendor_name=VENDOR), [report, REPORT])
    assert with_full.client_company == "株式会社ヤマブキ製作所"  # the full name wins


def test_nobody_known_gives_a_placeholder_never_a_blank_company() -> None:
    empty = Parties(vendor_name=VENDOR)
    assert empty.addressee_lines == [VENDOR, "【ご所属】　【ご担当者名】様"]
    assert empty.sender_lines == ["【自社名】", "【部署名】　【担当者名】"]
    assert "TEL：【電話番号】" in empty.contact_lines[-1]


def test_a_handover_keeps_the_new_contact_and_a_signature_gives_the_full_name() -> None:
    before = document(
        5,
        "email",
        "ヤマブキ製作所 宮原様\n\nミナミコールの浜田です。\n\n株式会社ミナミコール 営業二部\n浜田 陽介",
        period=None,
    )
    after = DocumentFacts(
        id=6,
        kind="vendor_report",
        date=dt.date(2026, 1, 8),
        period="2025-12",
        title="12月度",
        text="宮原様\n\n1月より担当を引き継ぎました、ミナミコールの岸です。\n",
    )
    handed_over = suggest_parties(Parties(vendor_name=VENDOR), [before, after])
    assert (
        handed_over.vendor_contact == "岸"
    )  # the newest introduction; no signature names 岸 in full
    assert handed_over.vendor_department is None
    signed = suggest_parties(Parties(vendor_name=VENDOR), [before])
    assert (signed.vendor_contact, signed.vendor_department) == ("浜田 陽介", "営業二部")
    stored = suggest_parties(Parties(vendor_name=VENDOR, vendor_contact="浜田"), [before])
    assert stored.vendor_contact == "浜田"  # what the user entered is never replaced


# --- business days ---------------------------------------------------------------------------


def test_business_days_skip_weekends_japanese_holidays_and_the_year_end() -> None:
    assert not is_business_day(dt.date(2026, 1, 12))  # 成人の日
    assert not is_business_day(dt.date(2026, 5, 5))  # こどもの日
    assert not is_business_day(dt.date(2025, 12, 30)) and not is_business_day(dt.date(2026, 1, 2))
    assert is_business_day(dt.date(2026, 1, 13))
    # Friday 2026-05-01 + 1 business day skips the weekend and 5/4–5/6 (Golden Week).
    assert add_business_days(dt.date(2026, 5, 1), 1) == dt.date(2026, 5, 7)


def test_reply_by_is_a_business_day_five_business_days_out_and_before_the_deadline() -> None:
    renewal = dt.date(2026, 6, 30)
    today = dt.date(2026, 4, 24)  # a Friday before Golden Week
    timeline = compute_timeline(engagement_id=1, renewal_date=renewal, notice_days=30, today=today)
    reply, _ = review_dates(timeline)
    assert reply is not None and is_business_day(reply)
    assert reply >= add_business_days(today, 5) and reply < timeline.notice_deadline
    late = compute_timeline(
        engagement_id=1, renewal_date=renewal, notice_days=30, today=dt.date(2026, 5, 26)
    )
    late_reply, late_meetings = review_dates(late)
    assert late_reply is None  # fewer than five business days are left
    assert late_meetings and all(d < late.notice_deadline for d in late_meetings)


def test_a_passed_window_proposes_the_earliest_days_and_a_passed_deadline_none() -> None:
    renewal = dt.date(2026, 6, 30)
    passed_window = compute_timeline(
        engagement_id=1, renewal_date=renewal, notice_days=30, today=dt.date(2026, 5, 11)
    )
    assert passed_window.review_passed and "過ぎています" in passed_window.stage
    reply, days = review_dates(passed_window)
    assert reply is not None and days and days[0] >= add_business_days(dt.date(2026, 5, 11), 3)
    assert all(is_business_day(d) and d < passed_window.notice_deadline for d in days)
    after = compute_timeline(
        engagement_id=1, renewal_date=renewal, notice_days=30, today=dt.date(2026, 6, 5)
    )
    assert after.status == "overdue" and review_dates(after) == (None, [])
    assert any("自動更新" in note for note in after.notes)


def test_date_check_flags_past_days_off_and_dates_after_the_contract() -> None:
    text = "期限：2026年3月2日（月）、2026年3月7日（土）、2026年2月2日（月）、2026年7月1日（水）"
    problems = date_problems(text, today=dt.date(2026, 2, 20), contract_end=dt.date(2026, 6, 30))
    assert len(problems) == 3
    assert (
        date_problems(
            "2026年3月2日（月）", today=dt.date(2026, 2, 20), contract_end=dt.date(2026, 6, 30)
        )
        == []
    )


# --- the lint --------------------------------------------------------------------------------


def test_text_lint_finds_doubled_brackets_repeats_and_fragments() -> None:
    assert any("」」" in p for p in text_defects("「施策を「試す」」とのこと。"))
    repeated = "## 質問\n\n1. 改善点をお聞かせください。\n2. 改善点をお聞かせください。\n"
    assert any("繰り返し" in p for p in text_defects(repeated))
    assert any("述語" in p for p in text_defects("- KPI以外の貢献（提案・市場の気づき）[4][5]。"))
    fine = (
        "## 振り返り\n\n貴社10月度ご報告では、アポ数は18件（目標20件）とのことでした[1]。\n"
        "- 「リストを見直したいと考えております。」（貴社10月度ご報告）[2]\n"
    )
    assert text_defects(fine) == []


def test_fact_check_needs_the_cited_passage_to_state_the_number() -> None:
    citations = [
        DraftCitation(document_id=1, start=0, end=8, quote="アポ獲得数は16件"),
        DraftCitation(document_id=1, start=9, end=15, quote="目標15件"),
    ]
    assert fact_problems("| 2026年1月 | 16[1] / 15（107%） |", citations) == []
    assert fact_problems("| 2026年1月 | 15[2] / 15 |", citations) == []
    assert len(fact_problems("| 2026年1月 | 15[1] / 15（100%） |", citations)) == 1
