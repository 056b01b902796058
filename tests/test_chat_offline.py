"""Chat domain rules without HTTP: question classes, dates, lexicons, offline answers."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from app.analyse.kpi import KpiKnowledge
from app.chat import portfolio
from app.chat.answers import OfflineAnswer
from app.chat.classify import Intent, apply_context, classify
from app.chat.dates import find_dates, question_scope
from app.chat.service import answer_offline
from app.container import Container
from app.errors import ConfigError
from app.ingest.service import DocumentInput, ingest_document
from app.knowledge.chat import ChatKnowledge, load_chat_knowledge
from app.retrieve.tokenizer import SudachiTokenizer
from tests.chat_support import Seeded, assert_exact, seed_new_engagement

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
AS_OF = dt.date(2026, 2, 20)


def kind_of(
    question: str, chat: ChatKnowledge, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> str:
    intent = classify(
        question,
        knowledge=chat,
        kpi_knowledge=kpi,
        analyze=analyzer.analyze,
        as_of=AS_OF,
    )
    return intent.kind


# --- question classes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("先月の商談化率は？", "kpi_value"),
        ("9月度のアポ獲得数は何件？", "kpi_value"),
        ("4月の受注金額はいくらでしたか？", "kpi_value"),
        ("アポ数の推移を教えてください", "kpi_trend"),
        ("商談化率が一番高かった月は？", "kpi_extreme"),
        ("アポ数の目標は？", "kpi_target"),
        ("担当者が変わったのはいつ？", "when"),
        ("リスト改善の提案はいつ、何が出た？", "when"),
        ("森田さんの後任は誰ですか？", "who"),
        ("苦情を寄せた会社はどこですか？", "who"),
        ("アポ獲得から訪問までは平均何営業日でしたか？", "quantity"),
        ("リストの区分はどのようなものですか？", "what"),
        ("なぜ解約を検討しているのですか？", "what"),
        ("競合の動きについて報告はありましたか？", "yesno"),
        ("これまでの経緯をまとめてください", "summary"),
        # Which of several: a description, not a yes or no.
        ("先月試した2つのトークのうち、反応が良かったのはどちらですか？", "what"),
        # Ends in a person's role: who, even when it names a KPI word (売上).
        ("定例で「売上倍増」を掲げた架空物産の役員は？", "who"),
        ("来月からの先方の窓口は？", "who"),
        ("担当者は何と言っていましたか？", "what"),
    ],
)
def test_question_classes(
    question: str, kind: str, chat: ChatKnowledge, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> None:
    assert kind_of(question, chat, kpi, analyzer) == kind


def test_the_kpi_asked_about_is_the_one_before_the_number_word(
    chat: ChatKnowledge, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> None:
    intent = classify(
        "6月のアポのうち、商談に進んだのは何件でしたか？",
        knowledge=chat,
        kpi_knowledge=kpi,
        analyze=analyzer.analyze,
        as_of=AS_OF,
    )
    assert (intent.kind, intent.kpi_key, intent.time.periods) == (
        "kpi_value",
        "opportunities",
        ("2025-06",),
    )


def test_follow_up_inherits_the_kpi_and_the_month(
    chat: ChatKnowledge, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> None:
    def ask(question: str) -> Intent:
        return classify(
            question,
            knowledge=chat,
            kpi_knowledge=kpi,
            analyze=analyzer.analyze,
            as_of=AS_OF,
        )

    other_month = apply_context(ask("11月は？"), {"kpi": "appointments"}, knowledge=chat)
    assert (other_month.kind, other_month.kpi_key, other_month.time.periods) == (
        "kpi_value",
        "appointments",
        ("2025-11",),
    )
    same_month = apply_context(ask("その月の商談化率は？"), {"period": "2025-09"}, knowledge=chat)
    assert same_month.time.periods == ("2025-09",)


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "periods"),
    [
        ("先月のアポ数は？", ("2026-01",)),
        ("今月の状況は？", ("2026-02",)),
        ("先々月の商談数は？", ("2025-12",)),
        ("3月のアポ数は？", ("2025-03",)),  # the latest March not after today
        ("2月度のアポ数は？", ("2026-02",)),
        ("2025年3月の報告は？", ("2025-03",)),
        ("3か月前の商談化率は？", ("2025-11",)),
    ],
)
def test_months_resolve_relative_to_the_analysis_date(
    question: str, periods: tuple[str, ...], chat: ChatKnowledge
) -> None:
    assert question_scope(question, words=chat.dates, as_of=AS_OF).periods == periods


def test_bare_month_prefers_a_month_that_has_documents(chat: ChatKnowledge) -> None:
    scope = question_scope(
        "3月のアポ数は？", words=chat.dates, as_of=AS_OF, known_periods=["2024-03"]
    )
    assert scope.periods == ("2024-03",)


def test_previous_meeting_and_exact_days(chat: ChatKnowledge) -> None:
    assert question_scope("前回の定例の宿題は？", words=chat.dates, as_of=AS_OF).meeting_rank == 1
    assert question_scope("前々回の定例では？", words=chat.dates, as_of=AS_OF).meeting_rank == 2
    scope = question_scope("6月11日の経営会議で何を決めた？", words=chat.dates, as_of=AS_OF)
    assert scope.days == (dt.date(2025, 6, 11),)


def test_dates_in_sentences_with_the_year_from_the_document() -> None:
    found = find_dates("7月1日付で交代、引継ぎは6/30まで、改善計画は10月末までに。2026年1月1日付。")
    shown = [d.resolved(dt.date(2025, 6, 27)).display() for d in found]
    assert shown == ["2025年7月1日", "2025年6月30日", "2025年10月末", "2026年1月1日"]
    assert find_dates("アポ12件、1,200件、3/4件") == []


# --- lexicon file ----------------------------------------------------------------------------


def test_chat_knowledge_loads_and_a_broken_copy_names_file_and_field(tmp_path: Path) -> None:
    assert load_chat_knowledge(KNOWLEDGE_DIR / "chat.yaml").events["personnel_change"].required
    broken = tmp_path / "chat.yaml"
    shutil.copy(KNOWLEDGE_DIR / "chat.yaml", broken)
    text = broken.read_text(encoding="utf-8").replace(
        "    signal: personnel_change", "    signal: nonsense"
    )
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"chat\.yaml: 項目 events\.personnel_change\.signal"):
        load_chat_knowledge(broken)
    broken.write_text("version: 1\nclasses: [", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"chat\.yaml: YAML として読めません"):
        load_chat_knowledge(broken)


# --- offline answers (real stores, no HTTP) --------------------------------------------------


def ask(container: Container, seeded: Seeded, question: str) -> OfflineAnswer:
    answer, _, _ = answer_offline(
        container=container,
        engagement_id=seeded.engagement_id,
        question=question,
        as_of=seeded.as_of,
    )
    for citation in answer.citations:
        assert_exact(container, citation)
    return answer


def test_offline_answers_cite_exact_passages(chat_container: Container, seeded: Seeded) -> None:
    container = chat_container
    kpi = ask(container, seeded, "4月度のアポ獲得数は何件でしたか？")
    assert "24件" in kpi.text and "達成率 80%" in kpi.text
    assert [c.document_id for c in kpi.citations] == [seeded.april]

    latest = ask(container, seeded, "直近の商談化率は？")
    assert "2025年5月度" in latest.text and "40%" in latest.text

    missing_month = ask(container, seeded, "3月度のアポ数は？")
    assert "記載がありません" in missing_month.text

    change = ask(container, seeded, "担当の交代はいつでしたか？")
    assert change.text.startswith("2025年7月1日")
    assert change.citations[0].document_id == seeded.handover

    successor = ask(container, seeded, "杉山さんの後任は誰ですか？")
    assert "鈴木" in successor.text

    decided = ask(container, seeded, "前回の定例の宿題は何ですか？")
    assert "新リストの作成" in decided.text
    assert decided.citations[0].document_id == seeded.minutes

    sent = ask(container, seeded, "担当変更のメールはいつ送られましたか？")
    assert sent.text.startswith("2025年6月20日")

    # Nothing but the kind of document and its month: the month's report, by its date.
    received = ask(container, seeded, "4月度の報告書が届いたのは何日でしたか？")
    assert received.text.startswith("2025年5月8日")
    assert received.citations[0].document_id == seeded.april


def test_not_in_the_documents_is_said_plainly_and_later_documents_are_ignored(
    chat_container: Container, seeded: Seeded
) -> None:
    container = chat_container
    for question in [
        "オフィスの住所はどこですか？",
        "解約違約金はいくらですか？",
        "テレビCMの効果はどうでしたか？",
    ]:
        answer = ask(container, seeded, question)
        assert not answer.found and not answer.citations, question
        assert "見当たりません" in answer.text or "確認できませんでした" in answer.text
    before_the_email, _, _ = answer_offline(
        container=container,
        engagement_id=seeded.engagement_id,
        question="担当の交代はいつでしたか？",
        as_of=dt.date(2025, 6, 1),
    )
    assert not before_the_email.found
    assert "担当者の交代についての記述" in before_the_email.text


def test_contract_questions_are_answered_from_the_engagement_record(
    chat_container: Container, seeded: Seeded
) -> None:
    container = chat_container
    notice = ask(container, seeded, "解約予告の期限はいつですか？")
    assert notice.found and "2026年1月30日" in notice.text and "60日" in notice.text
    renewal = ask(container, seeded, "契約の更新日はいつ？")
    assert renewal.found and "2026年3月31日" in renewal.text
    fee = ask(container, seeded, "月額費用はいくらですか？")
    assert fee.found and "800,000円" in fee.text


def test_a_sentence_saying_there_was_no_delay_does_not_answer_a_delay_question(
    chat_container: Container, seeded: Seeded
) -> None:
    container = chat_container
    engagement = seed_new_engagement(container).engagement_id
    ingest_document(
        container=container,
        data=DocumentInput(
            engagement_id=engagement,
            kind="vendor_report",
            date=dt.date(2025, 7, 5),
            period="2025-06",
            title="6月度 活動報告",
            text="6月度の活動をご報告します。\n報告の遅れはありません。\nアポ獲得数：26件",
        ),
    )
    answer, _, _ = answer_offline(
        container=container,
        engagement_id=engagement,
        question="報告の遅れはありましたか？",
        as_of=seeded.as_of,
    )
    # 「遅れはありません」 is not a delay: the answer says no delay is recorded.
    assert not answer.found and not answer.citations
    assert "報告の遅れについての記述" in answer.text


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("更新日が近いのはどの契約？", "renewal"),
        ("次に満了する契約は？", "renewal"),
        ("解約予告の期限が迫っているのは？", "contract"),
        ("アポ数が一番多い代行会社は？", "kpi"),
        ("トークスクリプトを変えた会社は？", "search"),
        ("「更新しない」方向になりそうな代行会社はどこですか？", "decision:do_not_renew"),
        ("条件付きで更新になりそうな契約は？", "decision:renew_with_conditions"),
        ("解約予告期限が一番近い契約は？", "contract"),
    ],
)
def test_portfolio_questions_route_by_the_contract_words(
    question: str, kind: str, chat: ChatKnowledge, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> None:
    intent = classify(
        question, knowledge=chat, kpi_knowledge=kpi, analyze=analyzer.analyze, as_of=AS_OF
    )
    assert portfolio.route(intent, chat.contract, chat.portfolio) == kind
