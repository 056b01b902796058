"""The learned sentence detectors: data that loads, features equal to training, a deterministic trainer."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from app.analyse.cues import CueHit, Sentence, sentences
from app.analyse.detectors import CorpusScores, SignalFinder, score_corpus, signal_hits
from app.analyse.detectors.features import char_ngrams, feature_matrix
from app.core.cache import BoundedCache
from app.core.facts import Author
from app.core.normalize import normalize_for_matching
from app.core.vocabulary import STATUS_SIGNALS, SignalKey
from app.errors import ConfigError
from app.knowledge import DEFAULT_KNOWLEDGE_DIR, Knowledge, load_knowledge
from app.knowledge.rubric import DetectorFile, DetectorModel, load_detectors
from scripts import train_detectors
from tests.signal_corpus import corpus as _corpus
from tests.signal_corpus import document as _document

# Invented sentences (none is from a phrasebook or an evaluation set).
TEXTS = ["来週から新しい架電リストで試してみます。", "ＡＢＣ  テスト\u3000です", "なし"]


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(DEFAULT_KNOWLEDGE_DIR)


def _hits(
    corpus: list[tuple[Sentence, float]],
    knowledge: Knowledge,
    signal: SignalKey,
    *,
    cues: bool = True,
    scores: CorpusScores | None = None,
) -> list[CueHit]:
    """The signal's hits in the corpus: detectors with the signal's cues, or detectors alone."""
    spec = knowledge.signals.signals[signal]
    return signal_hits(
        corpus,
        scores=score_corpus(corpus, knowledge) if scores is None else scores,
        signal=signal,
        cues=spec.cues if cues else [],
        unless=spec.unless if cues else [],
        memo=BoundedCache(64),
    )


def test_char_ngrams_match_scikit_learn() -> None:
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False)
    analyzer = vectorizer.build_analyzer()
    for text in TEXTS:
        normalized = normalize_for_matching(text)
        assert char_ngrams(normalized, 1, 3) == analyzer(normalized)


def test_feature_matrix_equals_the_fitted_vectorizer() -> None:
    corpus = [normalize_for_matching(text) for text in TEXTS * 2]
    vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=False
    ).fit(corpus)
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
    spec = DetectorFile(
        version=1,
        kind="char_ngram_tfidf_logistic",
        ngram_range=(1, 3),
        sublinear_tf=True,
        extra_features=["side_client"],
        trained_on=["test"],
        detectors=[{"key": "proactivity.good", "threshold": 0.5, "bias": 0.0}],  # type: ignore[list-item]
        vocabulary=vocabulary,
    )
    model = DetectorModel(
        spec=spec,
        idf=vectorizer.idf_.astype(np.float32),
        weights=np.zeros((1, len(vocabulary) + 1), dtype=np.float32),
    )
    ours = feature_matrix(model, corpus, ["client", "vendor"] * 3).toarray()
    theirs = vectorizer.transform(corpus).toarray()
    assert np.allclose(ours[:, :-1], theirs, atol=1e-6)
    assert ours[:, -1].tolist() == [1.0, 0.0] * 3


def test_committed_detectors_cover_every_signal(knowledge: Knowledge) -> None:
    keys = set(knowledge.detectors.keys)
    for signal in knowledge.signals.signals:
        assert any(key.startswith(f"{signal}.") for key in keys)
    assert {"stagnation.present", "internal_factors.present"} <= keys
    factor_types = {key.rsplit(".", 1)[1] for key in keys if ".type." in key}
    assert factor_types == set(knowledge.signals.internal_factors.types)


def test_a_detector_fires_on_new_wording_and_not_on_a_greeting(knowledge: Knowledge) -> None:
    text = (
        "いつもお世話になっております。\n"
        "来月から担当が山森に交代いたします。後任には引き継ぎ資料を渡しております。"
    )
    hits = _hits(_corpus(_document(text), "vendor"), knowledge, "personnel_change")
    quotes = [hit.sentence.quote for hit in hits]
    assert any("交代" in quote for quote in quotes)
    assert not any("お世話" in quote for quote in quotes)


def test_broken_detector_arrays_name_the_file(tmp_path: Path) -> None:
    directory = tmp_path / "detectors"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR / "detectors", directory)
    np.save(directory / "weights.npy", np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(ConfigError, match="検出器・特徴の数"):
        load_detectors(directory)


def test_training_is_deterministic(tmp_path: Path) -> None:
    """Rebuilding from the phrasebooks gives the committed files (no pickles, no timestamps).

    The vocabulary, thresholds and IDF are byte-identical; the weights agree to float32
    rounding, because the solver's sums may round the last bit differently on another CPU
    (measured: one weight one ulp apart on a new machine). How long training takes is
    measured by running the script, not asserted here."""
    assert train_detectors.main(["--out", str(tmp_path)]) == 0
    committed = DEFAULT_KNOWLEDGE_DIR / "detectors"
    for name in ("detectors.json", "idf.npy"):
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes()
    rebuilt, kept = np.load(tmp_path / "weights.npy"), np.load(committed / "weights.npy")
    assert rebuilt.shape == kept.shape and rebuilt.dtype == kept.dtype
    np.testing.assert_allclose(rebuilt, kept, rtol=0, atol=1e-5)


def test_greetings_never_count_for_a_signal(knowledge: Knowledge) -> None:
    """A greeting has almost no features, so the model answers with its prior: not a hit."""
    document = _document(
        "いつもお世話になっております。よろしくお願いいたします。", kind="email", title="ご連絡"
    )
    authors: tuple[Author, ...] = ("vendor", "client")
    for author in authors:
        corpus = _corpus(document, author)
        scores = score_corpus(corpus, knowledge)
        for key in STATUS_SIGNALS:
            assert _hits(corpus, knowledge, key, scores=scores) == [], (author, key)


def test_a_table_row_of_figures_is_not_a_sentence_about_the_work(knowledge: Knowledge) -> None:
    """A KPI table's rows are the KPI reader's: no detector reads them as a bare report."""
    document = _document(
        "| 指標 | 目標 | 6月実績 |\n|---|---|---|\n| 架電数 | ― | 870件 |\n| アポ獲得数 | 15件 | 16件 |\n",
        title="6月度報告",
    )
    corpus = _corpus(document, "vendor")
    assert {sentence.kind for sentence, _w in corpus} <= {"table_header", "table_row"}
    scores = score_corpus(corpus, knowledge)
    for key in STATUS_SIGNALS:
        assert _hits(corpus, knowledge, key, cues=False, scores=scores) == [], key


def test_a_clients_own_wish_is_not_the_vendors_good_work(knowledge: Knowledge) -> None:
    wish = "来期は新しい業界向けの提案資料づくりも進めたいと考えている。"
    corpus = _corpus(_document(wish, kind="meeting_notes", title="定例メモ"), "client")
    hits = _hits(corpus, knowledge, "proactivity", cues=False)
    assert [hit for hit in hits if hit.polarity == "good"] == []


def test_a_presence_needs_a_sure_sentence(knowledge: Knowledge) -> None:
    """Many weak detector hits reach the weight but not the rule (engine.yaml min_sure_hits)."""
    from app.analyse.presence import present as _present

    units = sentences(_document("一文目です。二文目です。三文目です。"), "vendor")
    weak = [CueHit(sentence, "present", 0.6, sure=False) for sentence in units]
    assert knowledge.engine.presence.min_sure_hits == 1
    assert not _present(weak, 1.0, knowledge)
    assert _present([*weak[1:], CueHit(units[0], "present", 0.6)], 1.0, knowledge)


def test_a_client_side_cause_needs_independent_support(knowledge: Knowledge) -> None:
    """The vendor's own account in one report is not enough (engine.yaml
    internal_factor_documents); the client's notes, or a second document, are."""
    from app.analyse.presence import independent as _independent

    def hit(doc_id: int, kind: str, author: Author, text: str) -> CueHit:
        source = _document(text, kind=kind, doc_id=doc_id)
        return CueHit(sentences(source, author)[0], "present", 0.5)

    season = "年末の繁忙期で店長様が不在がちだったことも影響しています。"
    vendor_once = [
        hit(1, "vendor_report", "vendor", season),
        hit(1, "vendor_report", "vendor", season),
    ]
    assert knowledge.engine.presence.internal_factor_documents == 2
    assert not _independent(vendor_once, knowledge)
    assert _independent([*vendor_once, hit(2, "vendor_report", "vendor", season)], knowledge)
    client = hit(3, "meeting_notes", "client", "当社の提供したリストが古かった。")
    assert _independent([client], knowledge)
    weak_client = CueHit(client.sentence, "present", 0.5, sure=False)
    assert not _independent([*vendor_once, weak_client], knowledge)


@pytest.mark.parametrize(
    ("text", "kind", "author", "side"),
    [
        ("当社側の窓口が来月から営業企画部の大森に変わる。", "meeting_notes", "client", "client"),
        (
            "先方のリーダーが月末で退職し、後任は当社の業界に詳しい方とのこと。",
            "meeting_notes",
            "client",
            "vendor",
        ),
        ("先方の責任者が社内異動で交代した。", "meeting_notes", "client", "vendor"),
        ("弊社の人事異動に伴い、私の後任として森岡が担当いたします。", "email", "client", "client"),
        ("弊社の人事異動に伴い、私の後任として森岡が担当いたします。", "email", "vendor", "vendor"),
        ("御社ご担当者様の変更に伴い、送付先を更新しました。", "vendor_report", "vendor", "client"),
        # The vendor names its own people bare: its own staff change.
        ("8月より、御社担当を川端から千葉に変更いたします。", "vendor_report", "vendor", "vendor"),
        # No side word: a colleague named bare is the writer's own, one with 様 the other side's.
        ("野沢は4月1日付で総務部へ異動。", "meeting_notes", "client", "client"),
        ("菅谷様は6月末で退職。", "meeting_notes", "client", "vendor"),
        ("担当が3月・7月と半年で2回交代。", "meeting_notes", "client", None),
        # The writer's own contact for the other party; the reader's honoured appointment.
        ("ミナトリンクとの窓口は野沢が引き継ぐ。", "meeting_notes", "client", "client"),
        ("このたびは窓口ご就任とのこと、よろしくお願い申し上げます。", "email", "vendor", "client"),
        ("後任の引継ぎは当社内で対応する。", "meeting_notes", "client", "client"),
        # A prospect's or a customer's people are neither side's staff.
        (
            "訪問予定の見込み先で、購買のご担当者が5月に異動される。",
            "vendor_report",
            "vendor",
            "third",
        ),
        ("架電先の窓口が替わっていた企業が3社ありました。", "vendor_report", "vendor", "third"),
        # 「うちの」 in the client's spoken notes is the client itself.
        ("うちの経理の担当が来月から変わる。", "email", "client", "client"),
    ],
)
def test_whose_staff_a_change_is(text: str, kind: str, author: Author, side: str | None) -> None:
    """The writer's side and the words naming a side decide (invented sentences)."""
    from app.analyse.detectors.actors import change_side

    assert change_side(sentences(_document(text, kind=kind), author)[0]) == side


def test_the_clients_own_contact_change_is_no_personnel_change(knowledge: Knowledge) -> None:
    notes = "当社の窓口が来月から私から野々村に変わります。"
    corpus = _corpus(_document(notes, kind="meeting_notes", title="定例メモ"), "client")
    finder = SignalFinder(
        corpus, score_corpus(corpus, knowledge), ["personnel_change"], BoundedCache(64)
    )
    spec = knowledge.signals.signals["personnel_change"]
    assert finder("personnel_change", spec.cues, spec.unless) == []
    vendor = _corpus(_document("来月から御社の担当が野々村に交代いたします。"), "vendor")
    finder = SignalFinder(
        vendor, score_corpus(vendor, knowledge), ["personnel_change"], BoundedCache(64)
    )
    assert finder("personnel_change", spec.cues, spec.unless) != []


@pytest.mark.parametrize(
    ("text", "acts"),
    [
        ("先方のスクリプトが長すぎて受付で切られると、当社営業が指摘。", True),
        ("代行会社のリスト精査が甘く、同じ先に何度も架電していた。", True),
        ("先方からの依頼に対し、当社の承認が遅れてリストを渡せていない。", False),
        ("うちの製品では、代行さんがどれだけ頑張っても厳しい。", False),
        ("事業の重点が変わったのに、代行会社のKPIは新規アポ数のまま。", False),
    ],
)
def test_the_vendors_own_work_is_no_client_side_cause(text: str, acts: bool) -> None:
    """In the client's notes, the vendor named first as actor or owner (invented sentences)."""
    from app.analyse.detectors.actors import vendor_acts

    unit = sentences(_document(text, kind="meeting_notes"), "client")[0]
    assert vendor_acts(unit) is acts
    assert not vendor_acts(sentences(_document(text), "vendor")[0])


def test_a_problem_said_to_be_absent_is_no_concern(knowledge: Knowledge) -> None:
    """「遅延なし」「欠席もなし」 name the problem only to deny it (invented sentences)."""
    from app.analyse.detectors.negation import negates_a_problem

    text = "月次の報告は毎月第1週に届いており、定例の欠席もなし。"
    unit = sentences(_document(text, kind="meeting_notes"), "client")[0]
    assert negates_a_problem(unit)
    assert not negates_a_problem(
        sentences(_document("報告の遅れが続いている。", kind="meeting_notes"), "client")[0]
    )
    corpus = _corpus(_document(text, kind="meeting_notes"), "client")
    assert not [h for h in _hits(corpus, knowledge, "communication") if h.polarity == "concern"]


@pytest.mark.parametrize(
    "text",
    [
        "競合：大手各社の値下げやキャンペーンは確認できていない。",
        "リストの鮮度も特に問題ない。",
        "価格面で競合と比べて見劣りする点は見当たらない。",
    ],
)
def test_a_cause_the_client_checked_and_ruled_out_is_no_cause(
    knowledge: Knowledge, text: str
) -> None:
    """A checked-and-absent cause (invented sentences) is no client-side cause."""
    corpus = _corpus(_document(text, kind="meeting_notes"), "client")
    finder = SignalFinder(
        corpus, score_corpus(corpus, knowledge), ["internal_factors"], BoundedCache(64)
    )
    spec = knowledge.signals.internal_factors
    for key, factor in spec.types.items():
        assert finder("internal_factors", factor.cues, spec.unless, factor_type=key) == []


def test_what_was_promised_at_the_start_reads_as_an_expectation_gap(knowledge: Knowledge) -> None:
    text = "契約時の説明では、初回訪問のあとの見積提示まで対応すると聞いていた。"
    hits = _hits(
        _corpus(_document(text, kind="meeting_notes"), "client"), knowledge, "expectation_gap"
    )
    assert hits and all(hit.sure for hit in hits)


def test_asked_for_a_plan_and_none_came_is_a_proactivity_concern(knowledge: Knowledge) -> None:
    text = "次の打ち手を尋ねたが、具体的な提案はなし。"
    corpus = _corpus(_document(text, kind="meeting_notes"), "client")
    hits = _hits(corpus, knowledge, "proactivity")
    assert [hit.polarity for hit in hits] == ["concern"]
