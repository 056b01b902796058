"""Presence rules on small invented engagements: a change said not to happen, the client's
writer announcing its own move, a roster line, the client owning a cause or ruling one out."""

from __future__ import annotations

import pytest

from app.knowledge import Knowledge, load_knowledge
from tests.test_analysis_engine import KNOWLEDGE_DIR, report, run


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(KNOWLEDGE_DIR)


def test_a_change_said_not_to_happen_is_no_personnel_change(knowledge: Knowledge) -> None:
    """Every change word negated: no change (invented notes); one change word left: a change."""
    for text in (
        "先方の担当の川口さんは今期も変わっていない。",
        "代行会社側の体制変更は特になし。",
        "先方から、担当者の交代はしないと説明があった。",
    ):
        notes = [report(1, 8, text, kind="meeting_notes")]
        assert not run(knowledge, notes, {}).personnel_change.present, text
    still = "先方のリーダーが月末で退職し交代したが、現場の担当者は変わらない。"
    assert run(knowledge, [report(1, 8, still, kind="meeting_notes")], {}).personnel_change.present


def test_the_clients_writer_announcing_its_own_move_is_no_vendor_change(
    knowledge: Knowledge,
) -> None:
    """「私事で恐縮ですが…異動」 in the client's e-mail, and the 後任 sentence after it."""
    from app.analyse.cues import sentences
    from app.analyse.detectors.actors import change_side

    text = (
        "私事で恐縮ですが、10月1日付で人事部に異動することになりました。"
        "後任は営業部の森が務めます。"
    )
    client_mail = report(1, 9, text, kind="email")
    first = sentences(client_mail, "client")[0]
    assert change_side(first) == "client"
    assert change_side(sentences(client_mail, "vendor")[0]) == "vendor"
    assert not run(knowledge, [client_mail], {}).personnel_change.present


def test_a_roster_line_alone_is_no_personnel_change(knowledge: Knowledge) -> None:
    """A line naming the vendor's people and roles, without a change word, never establishes a
    change (it may still support one that another sentence names)."""
    from app.analyse.cues import CueHit, sentences
    from app.analyse.presence import vendors_changes

    roster = report(
        1, 8, "代行会社：石井様（マネージャー）、野口様（リーダー）", kind="meeting_notes"
    )
    corpus = [(s, 1.0) for s in sentences(roster, "client")]
    hit = CueHit(corpus[0][0], "present", 0.9)
    assert [h.sure for h in vendors_changes([hit], corpus)] == [False]


def test_a_client_admitting_its_own_cause_is_a_client_side_cause(knowledge: Knowledge) -> None:
    """「…のもこちら側」「当社の見積送付の遅れ」 in the client's notes while results fall short."""
    docs = [
        report(
            1,
            8,
            "アポ後の商談日が2週間先になる件は、正直こちらの問題。資料の準備が遅れたのもこちら側。",
            kind="meeting_notes",
        ),
        report(2, 9, "要因：当社の見積送付の遅れ、提供リストの不足。", kind="meeting_notes"),
    ]
    factors = run(knowledge, docs, {8: 8, 9: 9}).internal_factors
    assert "client_resources" in {f.type for f in factors}


def test_a_cause_checked_and_found_absent_is_none(knowledge: Knowledge) -> None:
    """「目立った…は把握していない」「遅れはない」: the client ruled the cause out."""
    docs = [
        report(
            1,
            8,
            "競合：目立った値下げやキャンペーンは当社営業でも把握していない。",
            kind="meeting_notes",
        ),
        report(
            2,
            9,
            "アポ後のフォロー：当社営業が翌日までに連絡しており、遅れはない。",
            kind="meeting_notes",
        ),
    ]
    assert run(knowledge, docs, {8: 8, 9: 9}).internal_factors == []


def test_the_clients_own_fault_is_no_concern_about_the_vendor() -> None:
    """「こちらの事情で」「うちの…手が回っていない」 in the client's notes; the vendor saying the
    same of itself is still its own fault (invented sentences)."""
    from app.analyse.cues import sentences
    from app.analyse.detectors.actors import clients_own_fault

    for text in (
        "資料の送付が遅れたのはこちらの事情で申し訳ありません。",
        "相談枠を出せていなかった（うちの営業の手が回っていない）。",
    ):
        notes = report(1, 8, text, kind="meeting_notes")
        assert clients_own_fault(sentences(notes, "client")[0]), text
        assert not clients_own_fault(sentences(notes, "vendor")[0]), text
    assert not clients_own_fault(
        sentences(
            report(1, 8, "こちらの事情もよく理解してくれている。", kind="meeting_notes"), "client"
        )[0]
    )


def test_losing_on_comparison_is_a_competitor_cause(knowledge: Knowledge) -> None:
    """「競合の…との比較で断られる」 in the client's notes while results fall short."""
    docs = [
        report(
            1, 8, "競合のゼロ円プランとの比較で断られる件数が増えている。", kind="meeting_notes"
        ),
        report(2, 9, "商談で他社の新プランと比べられて負けることが続いた。", kind="meeting_notes"),
    ]
    factors = run(knowledge, docs, {8: 8, 9: 9}).internal_factors
    assert "competitor" in {f.type for f in factors}


def test_a_type_the_detector_barely_prefers_is_not_sure(knowledge: Knowledge) -> None:
    """A detector-only factor hit whose type is below `factor_type_sure` counts but is not sure."""
    import numpy as np

    from app.analyse.cues import CueHit, sentences
    from app.analyse.detectors import CorpusScores, SignalFinder
    from app.analyse.presence import typed_surely
    from app.core.cache import BoundedCache

    notes = report(1, 8, "見送りになった先が多かった。", kind="meeting_notes")
    corpus = [(s, 1.0) for s in sentences(notes, "client")]
    keys = ("internal_factors.present", "internal_factors.type.product")
    sure_at = knowledge.engine.presence.factor_type_sure
    for probability, sure in ((sure_at - 0.1, False), (sure_at + 0.1, True)):
        scores = CorpusScores(
            keys=keys, thresholds=np.array([0.5, 0.0]), values=np.array([[0.8, probability]])
        )
        finder = SignalFinder(corpus, scores, ["internal_factors"], BoundedCache(64))
        hit = CueHit(corpus[0][0], "present", 0.8)
        assert [
            h.sure for h in typed_surely([hit], finder, "product", [], [], sure_at=sure_at)
        ] == [sure]
