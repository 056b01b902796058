"""Business synonyms, compound questions and renewal questions in other people's words:
real stores, no HTTP."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from app.chat.answering import understand
from app.chat.answers import Rules
from app.chat.classify import Intent, classify
from app.chat.compound import split_compound
from app.chat.evidence import rules_for
from app.chat.segments import Unit, segment, with_listed_causes, with_reason
from app.chat.service import answer_offline
from app.container import Container
from app.core.facts import DocumentFacts
from app.core.vocabulary import DocumentKind
from app.errors import ConfigError
from app.ingest.service import DocumentInput, ingest_document
from app.knowledge.chat import WORDING_FILE, load_wording_file
from tests.chat_support import Seeded, assert_exact, seed, seeded_evidence
from tests.conftest import make_engagement

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"


@pytest.fixture(scope="module")
def rules(chat_container: Container) -> Rules:
    return rules_for(chat_container)


def test_synonym_groups_map_one_token_words_to_the_others(rules: Rules, tmp_path: Path) -> None:
    assert rules.wording.credit > 0
    window = rules.tokens_of("窓口")
    (token,) = window
    assert rules.tokens_of("担当") <= rules.wording.get(token)
    shutil.copy(KNOWLEDGE_DIR / WORDING_FILE, tmp_path / WORDING_FILE)
    (tmp_path / WORDING_FILE).write_text("version: 1\ncredit: 2\ngroups: []\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_wording_file(tmp_path / WORDING_FILE)


def test_a_how_answer_cites_the_minutes_passage_exactly(
    chat_container: Container, seeded: Seeded
) -> None:
    answer, _, _ = answer_offline(
        container=chat_container,
        engagement_id=seeded.engagement_id,
        question="トークスクリプトはどう変えることになった？",
        as_of=seeded.as_of,
    )
    assert answer.found and "質問型" in answer.text
    assert answer.citations and answer.citations[0].document_id == seeded.minutes
    for citation in answer.citations:
        assert_exact(chat_container, citation)


def test_absent_topics_are_still_not_found(chat_container: Container, seeded: Seeded) -> None:
    answer, _, _ = answer_offline(
        container=chat_container,
        engagement_id=seeded.engagement_id,
        question="違約金の金額はいくらですか？",
        as_of=seeded.as_of,
    )
    assert not answer.found and not answer.citations and "見当たりません" in answer.text


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("このまま続けて大丈夫？", "decision"),
        ("更新でいいと思う？", "decision"),
        ("次の更新で押さえておくべき点は？", "checks"),
        ("何か危ないところはある？", "risks"),
    ],
)
def test_renewal_questions_in_other_words_reach_the_analysis(
    question: str, aspect: str, rules: Rules, chat_container: Container
) -> None:
    intent = classify(
        question,
        knowledge=rules.chat,
        kpi_knowledge=rules.kpi,
        analyze=chat_container.tokenizer.analyze,
        as_of=dt.date(2025, 7, 15),
    )
    assert intent.kind == "assessment" and intent.aspect == aspect


def test_a_free_worded_judgment_on_the_renewal_is_answered_from_the_analysis(
    chat_container: Container, seeded: Seeded
) -> None:
    evidence = seeded_evidence(chat_container, seeded)
    judged = understand(
        container=chat_container, evidence=evidence, question="来期もこのままお願いしていい？"
    )
    assert judged.kind == "assessment" and judged.aspect == "decision"
    factual = understand(
        container=chat_container, evidence=evidence, question="契約の更新日はいつ？"
    )
    assert factual.kind != "assessment"


def test_a_compound_question_is_answered_in_parts_with_renumbered_citations(
    chat_container: Container, seeded: Seeded
) -> None:
    assert split_compound("担当が変わるのはいつ？あと、後任は誰？") == [
        "担当が変わるのはいつ？",
        "後任は誰？",
    ]
    assert len(split_compound("AプランですかそれともBプランですか？")) == 1
    answer, _, _ = answer_offline(
        container=chat_container,
        engagement_id=seeded.engagement_id,
        question="担当が変わるのはいつ？あと、トークスクリプトはどう変える？",
        as_of=seeded.as_of,
    )
    assert "7月1日" in answer.text and "質問型" in answer.text
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == set(range(1, len(answer.citations) + 1))
    for citation in answer.citations:
        assert_exact(chat_container, citation)


def _units(container: Container, kind: DocumentKind, text: str) -> list[Unit]:
    """The chat's units of one invented October document."""
    document = DocumentFacts(7, kind, dt.date(2025, 11, 5), "2025-10", "10月度", text)
    return segment(document, container.tokenizer.analyze)


def test_a_why_answer_takes_the_neighbouring_sentence_that_gives_the_reason(
    chat_container: Container, rules: Rules
) -> None:
    text = (
        "10月度のアポ数は12件に減りました。\n"
        "展示会の準備で架電の時間が半分になったためです。\n\n"
        "11月は通常の体制に戻します。"
    )
    units = _units(chat_container, "vendor_report", text)
    fell = next(u for u in units if "減りました" in u.quote)
    start, end = with_reason(fell, units, (fell.start, fell.end), rules.chat.reason_regexes, 260)
    assert text[start:end].startswith("10月度") and text[start:end].endswith("ためです。")
    plan = next(u for u in units if "通常の体制" in u.quote)
    # Across a blank line the reason belongs to another paragraph: the span stays.
    assert with_reason(plan, units, (plan.start, plan.end), rules.chat.reason_regexes, 260) == (
        plan.start,
        plan.end,
    )


def test_a_why_answer_takes_the_causes_listed_under_the_event(
    chat_container: Container, rules: Rules
) -> None:
    """「…落ちた件、要因を確認した。」 names the cause without giving it: the items under it
    are the causes; a sentence that gives its own reason takes none."""
    text = (
        "11月にアポが9件まで落ちた件、社内で要因を確認した。\n\n"
        "・価格：他社の値下げで比較負けが増えている。\n"
        "・当社側：資料の更新が遅れている。\n\n"
        "次回までに価格表を見直す。"
    )
    units = _units(chat_container, "meeting_notes", text)
    fell = next(u for u in units if "要因を確認" in u.quote)
    assert not any(p.search(fell.normalized) for p in rules.chat.reason_connectives)
    start, end = with_listed_causes(fell, units, (fell.start, fell.end), 520)
    assert text[start:end].startswith("11月") and text[start:end].endswith("遅れている。")
    plan = next(u for u in units if "価格表" in u.quote)
    assert with_listed_causes(plan, units, (plan.start, plan.end), 520) == (plan.start, plan.end)


def test_the_askers_adverbs_and_a_split_vendor_name_are_no_missing_topic(
    chat_container: Container, seeded: Seeded
) -> None:
    # 「結局」「いま」 say how or when, not what about; they never make a question unanswerable.
    answer, _, _ = answer_offline(
        container=chat_container,
        engagement_id=seeded.engagement_id,
        question="4月のアポって結局何件取れたの？",
        as_of=seeded.as_of,
    )
    assert answer.found and "24" in answer.text
    # The name of a party is no topic: 「代表者」 is in no document, whatever names the vendor.
    absent, _, _ = answer_offline(
        container=chat_container,
        engagement_id=seeded.engagement_id,
        question="テストセールスの代表者は誰？",
        as_of=seeded.as_of,
    )
    assert not absent.found and not absent.citations


def test_a_kpi_word_inside_the_vendors_name_makes_no_kpi_question(
    chat_container: Container,
) -> None:
    # 「アポロ…」 holds 「アポ」: the vendor's name neither asks for nor narrows a KPI.
    apollo = seed(chat_container, make_engagement(chat_container, vendor="株式会社アポロテスト"))
    answer, intent, _ = answer_offline(
        container=chat_container,
        engagement_id=apollo.engagement_id,
        question="アポロテスト、4月のアポは？",
        as_of=apollo.as_of,
    )
    assert intent.kind == "kpi_value" and not intent.qualifiers
    assert "24件" in answer.text and answer.citations[0].document_id == apollo.april


def test_a_challenged_cause_is_a_why_question(rules: Rules, chat_container: Container) -> None:
    for question in (
        "アポが取れないのはリストが悪いせいじゃないの？",
        "アポが減ってるのは頑張りが足りないからではないんですか？",
    ):
        intent = classify(
            question,
            knowledge=rules.chat,
            kpi_knowledge=rules.kpi,
            analyze=chat_container.tokenizer.analyze,
            as_of=dt.date(2025, 7, 15),
        )
        assert intent.kind == "what" and intent.reason, question


def test_a_how_question_is_answered_by_the_section_it_names(
    chat_container: Container, seeded: Seeded
) -> None:
    text = (
        "このたびは報告の遅れでご迷惑をおかけし、深くお詫び申し上げます。\n\n"
        "【対応】\n"
        "1. 月次報告は翌月5営業日以内にお送りします。\n"
        "2. 遅れる場合は前日までにご連絡します。\n\n"
        "今後ともよろしくお願いいたします。"
    )
    document_id = ingest_document(
        container=chat_container,
        data=DocumentInput(
            engagement_id=seeded.engagement_id,
            kind="email",
            date=dt.date(2025, 7, 1),
            period=None,
            title="報告遅延のお詫び",
            text=text,
        ),
    ).document_id
    answer, _, _ = answer_offline(
        container=chat_container,
        engagement_id=seeded.engagement_id,
        question="報告の遅れに対して、どう対応すると言っていますか",
        as_of=seeded.as_of,
    )
    assert "5営業日以内" in answer.text and "前日までに" in answer.text
    assert answer.citations[0].document_id == document_id
    for citation in answer.citations:
        assert_exact(chat_container, citation)


def test_a_clause_ending_in_ta_ato_is_context_and_a_request_is_an_event(
    rules: Rules, chat_container: Container
) -> None:
    def read(question: str) -> Intent:
        return classify(
            question,
            knowledge=rules.chat,
            kpi_knowledge=rules.kpi,
            analyze=chat_container.tokenizer.analyze,
            as_of=dt.date(2025, 7, 15),
        )

    after = read("関東のリストを使い切ったあと、関西のリストで架電を始めたのは何日から？")
    assert "関東" in after.premise and "関西" not in after.premise
    # 「指導を受けている」 continues the verb: no context clause ends there.
    assert read("通話録音を聞いて、指導を受けている社員は誰？").premise == ()
    assert "request" in read("9月の定例で代行会社にお願いしたことは何？").events
