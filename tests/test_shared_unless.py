"""Wording that asserts nothing: a hypothetical, an open question or choice, a problem said not
to have come up, a run of rises, a change said not to happen or a third party's, the vendor's own
fault in its own report (invented sentences)."""

from __future__ import annotations

import re

import pytest

from app.core.normalize import normalize_for_matching
from app.knowledge import Knowledge, load_knowledge
from tests.test_analysis_engine import KNOWLEDGE_DIR, report, run


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(KNOWLEDGE_DIR)


def test_shared_families_reach_every_signal_but_their_exceptions(knowledge: Knowledge) -> None:
    """`shared_unless` is appended to each signal's `unless` once, skipping `except`; for a
    `good_only` signal it cancels only the good sentences."""
    signals = knowledge.signals
    good_only = signals.unless_good()
    for family in signals.shared_unless:
        for key, group in signals.unless_groups().items():
            for pattern in family.patterns:
                skipped = key in family.except_ or key in family.good_only
                assert group.unless.count(pattern) == (0 if skipped else 1), (family.name, key)
                assert (pattern in good_only.get(key, [])) == (key in family.good_only)
    hypothetical = next(f for f in signals.shared_unless if f.name == "hypothetical")
    assert "dependency" in hypothetical.good_only


def test_a_hypothetical_know_how_offer_is_no_dependency_finding(knowledge: Knowledge) -> None:
    """「もしご要望があれば…研修を実施することもできます」 hands nothing over; 「仮に契約を終了
    した場合、当社だけでは架電を続けられない」 is still the concern it says."""
    for offer in (
        "もしご要望があれば、御社の営業担当向けにロープレ研修を実施することもできます。",
        "もし内製に切り替えられるなら、トークスクリプトと切り返し集をお渡しします。",
    ):
        assert not run(knowledge, [report(1, 8, offer)], {}).signals["dependency"].evidence
    concern = (
        "仮に契約を終了した場合、当社だけでは架電を続けられない。リストもトークも代行会社にある。"
    )
    notes = [report(1, 8, concern, kind="meeting_notes")]
    found = run(knowledge, notes, {}).signals["dependency"]
    assert found.evidence and found.status == "concern"


def test_a_hypothetical_change_or_open_question_is_no_finding(knowledge: Knowledge) -> None:
    """「もし担当が変わるなら」「仮に数字が落ちた場合」「続けるかどうかは来期判断」 say nothing
    happened; 「もしよろしければ…ご提案します」 is still a proposal."""
    for text in (
        "もし代行会社の担当が交代する場合は、2か月前に知らせてもらうことにした。",
        "仮に代行側の担当者が替わったら、並走期間を必ず設けてもらう。",
    ):
        notes = [report(1, 8, text, kind="meeting_notes")]
        assert not run(knowledge, notes, {}).personnel_change.present, text
    notes = [
        report(1, 8, "認識のズレがあるかどうかは、来月の定例で確認する。", kind="meeting_notes")
    ]
    assert not run(knowledge, notes, {}).expectation_gap.present
    offer = "もしよろしければ、来月から業種別のトークを試すことをご提案いたします。"
    assert not any(re.search(p, offer) for f in knowledge.signals.shared_unless for p in f.patterns)


def test_a_change_said_not_to_happen_is_dropped_by_the_finder(knowledge: Knowledge) -> None:
    """「交代の予定もない」 in the client's notes and 「先方ご担当の異動」 in the vendor's report:
    neither is the vendor's personnel change."""
    from app.analyse.cues import sentences
    from app.analyse.detectors.actors import change_side, states_no_change

    notes = report(1, 8, "代行側の担当者は開始以来同じで、交代の予定もない。", kind="meeting_notes")
    assert states_no_change(sentences(notes, "client")[0])
    mail = report(2, 8, "先方ご担当の異動に伴い、報告書の送付先を変更しました。")
    assert change_side(sentences(mail, "vendor")[0]) == "client"
    assert not run(knowledge, [notes, mail], {}).personnel_change.present


def test_the_vendors_own_fault_in_its_report_is_no_client_side_cause() -> None:
    """「当方のリスト精査が不十分で」 from the vendor is its own work; 「御社の…で」 first is not."""
    from app.analyse.cues import sentences
    from app.analyse.detectors.actors import vendor_acts

    own = report(1, 8, "当方のリスト精査が不十分で、重複架電が発生しました。")
    assert vendor_acts(sentences(own, "vendor")[0])
    theirs = report(2, 8, "御社の製品改定が遅れている影響で、当方の架電も伸びませんでした。")
    assert not vendor_acts(sentences(theirs, "vendor")[0])


def test_a_problem_said_not_to_have_come_up_is_no_finding(knowledge: Knowledge) -> None:
    """「…という指摘は出なかった」「…という声は上がっていない」 report that nothing went wrong."""
    for signal, text in (
        ("proactivity", "代行会社の提案が少ないという指摘は出なかった。"),
        ("dependency", "引き継ぎ資料が足りないという声は社内から上がっていない。"),
    ):
        notes = [report(1, 8, text, kind="meeting_notes")]
        assert not run(knowledge, notes, {}).signals[signal].evidence, text


def test_a_choice_left_open_is_no_finding(knowledge: Knowledge) -> None:
    """「AするかBするかは次回決める」 is an open question, like 「…かどうかは来期判断」."""
    text = "ロープレ研修を代行会社に頼むか社内で行うかは、次回の会議で決める。"
    patterns = [p for f in knowledge.signals.shared_unless for p in f.patterns]
    assert any(re.search(p, text) for p in patterns)
    notes = [report(1, 8, text, kind="meeting_notes")]
    assert not run(knowledge, notes, {}).signals["dependency"].evidence


def test_a_prospects_staff_change_and_its_successor_are_no_personnel_change(
    knowledge: Knowledge,
) -> None:
    """「見込み先の…ご担当者が異動。後任の方は未定」: the second sentence names no side; it
    speaks of the change just before it, a third party's."""
    texts = [
        report(1, 8, "見込み先の購買ご担当者が4月に異動されるとのことです。後任の方は未定です。"),
        report(2, 9, "アポ先の企業様で窓口の方が交代されました。後任の方へ改めてご案内しました。"),
    ]
    assert not run(knowledge, texts, {}).personnel_change.present


def test_another_department_of_the_client_is_not_the_engagement(knowledge: Knowledge) -> None:
    """「当社の新人研修は人事部主催で実施」 is the client's own business, not know-how the vendor
    handed over; a client-side cause in another department still counts."""
    family = next(f for f in knowledge.signals.shared_unless if f.name == "other_department")
    assert "internal_factors" in family.except_
    notes = [report(1, 8, "当社の新入社員研修は人事部主催で4月に実施した。", kind="meeting_notes")]
    assert not run(knowledge, notes, {}).signals["dependency"].evidence


def test_the_clients_own_late_reply_is_no_concern_about_the_vendor() -> None:
    """「当社からの回答が遅れ、委託先の…」: the client's delay; 「当社の依頼への代行側の返信が遅い」
    names the vendor last before the delay: the vendor's."""
    from app.analyse.cues import sentences
    from app.analyse.detectors.actors import clients_own_fault

    own = report(
        1, 8, "当社からの回答が遅れ、委託先のリスト更新が後ろ倒しになった。", kind="meeting_notes"
    )
    assert clients_own_fault(sentences(own, "client")[0])
    theirs = report(2, 8, "当社の依頼に対する代行側の返信が遅い。", kind="meeting_notes")
    assert not clients_own_fault(sentences(theirs, "client")[0])
    vendor = report(3, 8, "弊社からの報告が遅れ、申し訳ございません。")
    assert not clients_own_fault(sentences(vendor, "vendor")[0])


def test_an_agenda_item_or_another_supplier_is_no_finding(knowledge: Knowledge) -> None:
    """「…は次回の定例で議題にする」 has not happened; 「保守はメーカーさん任せ」 is another
    supplier, not the sales vendor."""
    patterns = [
        p for f in knowledge.signals.shared_unless if f.name == "agenda" for p in f.patterns
    ]
    for text in ("研修資料の共有は次回の定例で議題にする。", "担当交代の有無を来月確認すること。"):
        assert any(re.search(p, text) for p in patterns), text
    text = "社内システムの運用は全部ITベンダーの業者任せになっている。"
    assert any(re.search(p, text) for p in knowledge.signals.signals["dependency"].unless)
    notes = [report(1, 8, text, kind="meeting_notes")]
    assert not run(knowledge, notes, {}).signals["dependency"].evidence


def test_results_that_stay_the_same_are_a_stall_and_other_sameness_is_not(
    knowledge: Knowledge,
) -> None:
    """「アポ数はここ3か月ほぼ同水準」 is a stall; 「稼働時間は毎月ほぼ同じ」 names no result."""
    cues = knowledge.signals.stagnation.cues
    flat = "ここ3か月、アポ数も商談数もほぼ同水準のまま動いていない。"
    other = "オペレーターの人数は毎月ほぼ同じ。"
    assert any(cue.matches(normalize_for_matching(flat)) for cue in cues)
    assert not any(cue.matches(normalize_for_matching(other)) for cue in cues)
