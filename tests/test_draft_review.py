"""What a Japanese reviewer found in the drafts (issue 12, review round 1), as pure rules:
courtesies are no evidence, the agenda shows the whole period, past-due items say so, the
letter's parties never leave a gap, an external draft on the page reads like the letter."""

from __future__ import annotations

import datetime as dt

from app.analyse.models import Citation
from app.core.facts import DocumentFacts
from app.core.text import is_greeting
from app.draft.checks import courtesy_citations, date_problems, unfilled_placeholders
from app.draft.citations import DraftCitation
from app.draft.context_period import period_overview
from app.draft.context_vendor import Figure, addressed
from app.draft.findings import citable
from app.draft.markdown import render_html
from app.draft.parties import Parties
from app.draft.todos import open_items


def quote(text: str, document_id: int = 1) -> Citation:
    return Citation(document_id=document_id, start=0, end=len(text), quote=text)


def test_greetings_thanks_and_openers_are_never_evidence() -> None:
    courtesies = [
        "先日の定例会議ではありがとうございました。",
        "ご連絡いただきありがとうございます。",
        "新年あけましておめでとうございます。",
        "本年もどうぞよろしくお願いいたします。",
        "ご確認のほど、よろしくお願いいたします。",
        "12月度の実績と引継ぎの状況をご報告いたします。",
        "6月度の結果と、7月以降のご提案をお送りします。",
    ]
    substantive = [
        "丁寧な引き継ぎをありがとうございました。",
        "報告も早く、毎週金曜に週次の速報も届いている。",
        "比較された点を整理し、1月の定例でご報告します。",
    ]
    assert all(is_greeting(sentence) for sentence in courtesies)
    assert not any(is_greeting(sentence) for sentence in substantive)
    kept = citable([quote(s) for s in courtesies + substantive])
    assert [c.quote for c in kept] == substantive


def figure(period: str, value: float, target: float | None, key: str = "appointments") -> Figure:
    label = {"appointments": "アポ数", "deals": "受注数"}[key]
    source = quote(f"{label}は{value:.0f}件でした。")
    return Figure(key, label, "count", period, value, target, source)


def test_the_agenda_presents_the_whole_period_not_only_the_shortfalls() -> None:
    items = [
        figure("2025-09", 24, 25),
        figure("2025-10", 26, 25),
        figure("2025-11", 21, 25),
        figure("2025-12", 25, 25),
        figure("2025-09", 1, None, "deals"),
        figure("2025-12", 3, None, "deals"),
    ]
    overview = period_overview(items, main_kpi="appointments")
    assert (overview.span, overview.months) == ("2025年9月〜12月", 4)
    assert [c.label for c in overview.columns] == ["アポ数", "受注数"]
    assert overview.columns[0].target == "25件"
    assert [r.period for r in overview.rows] == ["2025-09", "2025-10", "2025-11", "2025-12"]
    assert overview.rows[1].cells[1] is None  # no 受注 reported for October
    main, deals = (f.text for f in overview.findings)
    assert "4か月のうち目標に届いた月が2か月（10月・12月）" in main
    assert "届かなかった月が2か月（9月・11月）" in main
    assert "差が最も大きかったのは11月の21件" in main
    assert "直近の12月は25件と、11月から伸びています" in main
    # 受注 was reported for September and December only: no trend across the missing months
    assert deals == "受注数は、9月が1件、直近の12月が3件でした。"
    assert period_overview(items[:1], main_kpi="appointments").rows == []  # one month: no table


def minutes(text: str, day: dt.date, id_: int = 1) -> DocumentFacts:
    return DocumentFacts(
        id=id_, kind="meeting_notes", date=day, period=None, title="定例会議", text=text
    )


def test_an_item_past_its_due_day_is_overdue_and_one_reported_done_is_dropped() -> None:
    notes = minutes(
        "ToDo\n- 大森様：業種別の接続率を共有（11/28まで）\n- 西村：リストの抽出条件を送付（1/15まで）\n"
        "- 大森様：通話録音の共有方法を確認（12月20日まで）\n",
        dt.date(2025, 11, 13),
    )
    report = DocumentFacts(
        id=2,
        kind="vendor_report",
        date=dt.date(2025, 12, 5),
        period="2025-11",
        title="11月度",
        text="通話録音の共有方法を確認し、手順書を共有しました。",
    )
    items = open_items([notes, report], as_of=dt.date(2025, 12, 10))
    assert [(i.task, i.due_date, i.overdue) for i in items] == [
        ("業種別の接続率を共有", dt.date(2025, 11, 28), True),
        ("リストの抽出条件を送付", dt.date(2026, 1, 15), False),  # the next January
    ]
    today = dt.date(2025, 12, 10)
    shown_open = "- □ 大森様：業種別の接続率を共有（期限：2025年11月28日）\n"
    assert date_problems(shown_open, today=today, contract_end=dt.date(2026, 3, 31))
    said = "- □ 大森様：業種別の接続率を共有（期限：2025年11月28日・期限超過）\n"
    assert date_problems(said, today=today, contract_end=dt.date(2026, 3, 31)) == []
    elapsed = "- 解約予告期限：2025年11月28日（5日経過）\n"
    assert date_problems(elapsed, today=today, contract_end=dt.date(2026, 3, 31)) == []


def test_the_letter_names_everyone_or_shows_a_placeholder_to_fill() -> None:
    known = Parties(
        vendor_name="株式会社ミナミコール",
        vendor_department="営業二部",
        vendor_contact="浜田 陽介",
        client_company="株式会社ヤマブキ製作所",
        client_department="営業企画部",
        client_contact="宮原 葵",
    )
    assert known.addressee_lines == ["株式会社ミナミコール", "営業二部　浜田 陽介様"]
    assert known.sender_lines == ["株式会社ヤマブキ製作所", "営業企画部　宮原 葵"]
    letter = "\n".join(Parties(vendor_name="株式会社ミナミコール").addressee_lines)
    assert "ご担当者様" not in letter
    assert unfilled_placeholders(letter + "\n【ご報告】") == ["【ご所属】", "【ご担当者名】"]


def test_an_external_draft_on_the_page_carries_no_markers() -> None:
    citation = DraftCitation(document_id=3, start=0, end=8, quote="アポ数は18件です", title="報告")
    markdown = "貴社10月度ご報告では、アポ数は18件とのことでした[1]。\n"
    assert "[1]" not in render_html(markdown, [citation], external=True)
    assert 'data-citation="1"' in render_html(markdown, [citation])  # the memo keeps them


def test_a_courtesy_cited_as_evidence_is_flagged() -> None:
    thanks = DraftCitation(
        document_id=1, start=0, end=20, quote="先日の定例会議ではありがとうございました。"
    )
    work = DraftCitation(
        document_id=1, start=30, end=50, quote="報告も早く、毎週金曜に週次の速報も届いている。"
    )
    markdown = "コミュニケーションの質は良好です[1][2]。\n"
    assert courtesy_citations(markdown, [thanks, work]) == [
        "[1]: あいさつ文を根拠にしています「先日の定例会議ではありがとうございました。」"
    ]
    assert courtesy_citations("良好です[2]。", [thanks, work]) == []


def test_what_the_vendor_gets_calls_it_kisha_not_our_shorthand() -> None:
    core = "アユミセールスパートナーズ"
    assert (
        addressed("単独訪問の結果を月次でアユミと共有", core) == "単独訪問の結果を月次で貴社と共有"
    )
    assert addressed(f"{core}に試算シートを共有", core) == "貴社に試算シートを共有"
    assert (
        addressed("セールス資料を更新して共有", "セールスブリッジ") == "セールス資料を更新して共有"
    )
