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
