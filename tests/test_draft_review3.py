"""What a 課長 who must send the drafts objected to (issue 12, review round 3), as pure rules:
an item due only by the month its task names is to be confirmed once that month's report
is in, KPI sentences over months with gaps claim nothing of the missing months, drafts carry
no tallies of matched sentences and no average without its unit."""

from __future__ import annotations

import datetime as dt

from app.analyse.models import Citation
from app.core.facts import DocumentFacts
from app.draft.checks import text_defects
from app.draft.context_period import months_phrase, period_overview
from app.draft.context_vendor import Figure
from app.draft.findings import readable
from app.draft.todos import open_items
from app.renewals.timeline import compute_timeline


def figure(period: str, value: float, target: float | None, key: str = "appointments") -> Figure:
    label = {"appointments": "アポ数", "opportunities": "商談数"}[key]
    source = Citation(document_id=1, start=0, end=8, quote=f"{label}は{value:.0f}件でした。")
    return Figure(key, label, "count", period, value, target, source)


def notes(text: str) -> DocumentFacts:
    return DocumentFacts(
        id=1,
        kind="meeting_notes",
        date=dt.date(2025, 9, 12),
        period=None,
        title="定例会議",
        text=text,
    )


def report(period: str, day: dt.date) -> DocumentFacts:
    return DocumentFacts(
        id=2, kind="vendor_report", date=day, period=period, title="月次報告", text="実績です。"
    )


TODO = "ToDo\n- 三宅様：10月の定例で、業種別の反応をまとめて報告\n"


def test_a_month_named_due_is_to_confirm_once_that_months_report_is_in() -> None:
    as_of = dt.date(2026, 1, 16)
    (item,) = open_items([notes(TODO), report("2025-10", dt.date(2025, 11, 5))], as_of=as_of)
    assert (item.overdue, item.to_confirm) == (False, True)
    assert item.due_label == "期限：10月末まで・対応状況を確認"
    (late,) = open_items([notes(TODO), report("2025-09", dt.date(2025, 10, 3))], as_of=as_of)
    assert late.overdue and late.due_label == "期限：2025年10月末・期限超過"
    written = notes("ToDo\n- 三宅様：業種別の反応をまとめて報告（10/31まで）\n")
    (due,) = open_items([written, report("2025-10", dt.date(2025, 11, 5))], as_of=as_of)
    assert due.overdue  # a due day someone wrote down is a promise, report or not


def test_an_average_names_its_months_when_they_are_not_the_latest_run() -> None:
    assert months_phrase(["2025-10", "2025-11", "2025-12"], "2025-12") == (
        "ご報告いただいた直近3か月"
    )
    assert months_phrase(["2025-09", "2025-12"], "2025-12") == "ご報告いただいた9月・12月"
    assert months_phrase(["2025-10", "2025-11"], "2026-01") == ("ご報告いただいた10月・11月")


def test_kpi_sentences_over_months_with_gaps_claim_nothing_of_the_missing_months() -> None:
    items = [
        figure("2025-09", 20, 25),
        figure("2025-12", 23, 25),
        figure("2025-09", 8, None, "opportunities"),
        figure("2025-12", 11, None, "opportunities"),
    ]
    overview = period_overview(items, main_kpi="appointments", latest="2026-01")
    assert overview.listed == "9月・12月"
    main, deals = (f.text for f in overview.findings)
    assert "この2か月のいずれも目標に届いていません" in main  # the months named once, in the lead
    assert "2か月とも" not in main and "直近" not in main + deals
    assert "伸びて" not in main and "増えて" not in deals
    assert deals == "商談数は、9月が8件、12月が11件でした。"
    consecutive = period_overview([items[0], figure("2025-10", 24, 25)], main_kpi="appointments")
    assert consecutive.listed == ""
    assert "直近の10月は24件と、9月から伸びています" in consecutive.findings[0].text


def test_drafts_state_signals_without_tallies_and_averages_with_units() -> None:
    assert readable("主体性は良好です（根拠 52 件、懸念 3 件）。") == "主体性は良好です。"
    assert readable("依存度に懸念があります（懸念 13 件、良い兆候 14 件）。") == (
        "依存度に懸念があります。"
    )
    defects = text_defects("- アポが月平均30.3で、目標40に届いていません[3]。\n")
    assert any("単位のない平均" in d for d in defects)
    assert any(
        "件数" in d for d in text_defects("主体性は良好です（根拠 52 件、懸念 3 件）[3]。\n")
    )
    fine = "- アポが月平均30.3件で、目標40件に届いていません[3]。平均114%です。\n"
    assert text_defects(fine + "「平均12で推移」と伺いました。\n") == []  # a quote is theirs


def test_the_review_window_reads_as_a_sentence_under_the_meeting_date() -> None:
    timeline = compute_timeline(
        engagement_id=1,
        renewal_date=dt.date(2026, 3, 31),
        notice_days=30,
        today=dt.date(2026, 1, 16),
    )
    assert timeline.stage.startswith("振り返りミーティングは")
    assert timeline.stage.endswith("までに行う必要があります。")


def test_emphasis_that_would_not_close_is_a_text_defect() -> None:
    # CommonMark does not close 「**」 after 。 before a character: the reader sees asterisks.
    shown = "**注意：数値は2025年8月までです。**2025年9月以降の報告は届いていません。\n"
    assert any("閉じない強調" in d for d in text_defects(shown))
    closed = "**注意：数値は2025年8月までです**。2025年9月以降の報告は届いていません。\n"
    assert text_defects(closed) == []
    assert text_defects("以下のとおりです。**要点**：報告は届いています。\n") == []
