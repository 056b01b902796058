"""Chat service: gathers an engagement's evidence, answers (LLM or offline), keeps history.

The only chat module that touches the database and the retriever; the answering rules are
in the pure modules beside it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, TimeoutError
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.analyse.service import facts_of_document, facts_of_engagement, get_analysis
from app.chat import llm as chat_llm
from app.chat import portfolio
from app.chat.analyzer import TextAnalyzer
from app.chat.answers import ChunkHit, Evidence, OfflineAnswer, Rules, SourceSpan, build_rules
from app.chat.classify import Intent, apply_context, classify
from app.chat.models import (
    MAX_QUESTION_CHARS,
    ChatAnswer,
    ChatCitation,
    Conversation,
    ConversationOut,
    Message,
    MessageOut,
)
from app.chat.offline import answer as offline_answer
from app.chat.segments import Unit, segment
from app.chat.suggest import portfolio_questions, suggest_questions
from app.container import Container
from app.core.facts import DocumentFacts, EngagementFacts, KpiPoint, author_of
from app.errors import InvalidInput, LLMUnavailable, NotFound
from app.knowledge.chat import ChatKnowledge
from app.llm.model import LLMNotConfigured
from app.retrieve.bm25 import Bm25Filter
from app.retrieve.hybrid import SearchHit
from app.store import repository
from app.store.models import Document, KpiCorrection, KpiValue

log = logging.getLogger(__name__)

RETRIEVED_CHUNKS = 12
DENSE_BUDGET_S = 0.12
HISTORY_TURNS = 6
TITLE_CHARS = 60


@dataclass(frozen=True)
class ChatEvent:
    """One server-sent event: `token` (text delta), `replace` (discard the streamed text),
    `done` (the final ChatAnswer) or `error`."""

    event: str
    data: dict[str, Any]


# --- knowledge -------------------------------------------------------------------------------


def rules_for(container: Container) -> Rules:
    return _rules(container.knowledge.chat, container.knowledge)


_rules_cache: dict[tuple[int, int], Rules] = {}


def _rules(chat: ChatKnowledge, knowledge: Any) -> Rules:
    key = (id(chat), id(knowledge))
    found = _rules_cache.get(key)
    if found is None:
        found = build_rules(chat=chat, knowledge=knowledge, analyze=text_analyzer().analyze)
        _rules_cache.clear()
        _rules_cache[key] = found
    return found


# --- evidence --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def text_analyzer() -> TextAnalyzer:
    """Stateless and thread-safe; created on first use, never at import."""
    return TextAnalyzer()


@lru_cache(maxsize=4096)
def _units(document: DocumentFacts) -> tuple[Unit, ...]:
    """Segmentation and tokens per document version (documents are immutable once stored)."""
    return tuple(segment(document, text_analyzer().analyze))


@lru_cache(maxsize=4096)
def _title_tokens(title: str) -> frozenset[str]:
    return frozenset(text_analyzer().tokenize(title))


def stored_kpis(
    session: Session, engagement: EngagementFacts, documents: Sequence[DocumentFacts]
) -> list[KpiPoint]:
    """The stored KPI series (extracted at ingestion) with the user's corrections applied."""
    by_id = {d.id: d for d in documents}
    if not by_id:
        return []
    rows = session.scalars(select(KpiValue).where(KpiValue.document_id.in_(list(by_id))))
    found: dict[tuple[int, str], KpiValue] = {(row.document_id, row.key): row for row in rows}
    corrections = {
        (c.content_hash, c.key): c
        for c in session.scalars(
            select(KpiCorrection).where(KpiCorrection.engagement_id == engagement.id)
        )
    }
    points: list[KpiPoint] = []
    for document in documents:
        author = author_of(document, engagement.vendor_name)
        keys = {key for (doc_id, key) in found if doc_id == document.id} | {
            key for (digest, key) in corrections if digest == document.content_hash
        }
        for key in sorted(keys):
            row = found.get((document.id, key))
            correction = corrections.get((document.content_hash, key))
            if correction is not None and correction.value is None:
                continue
            value = correction.value if correction is not None else row.value if row else None
            if value is None:
                continue
            start, end = (row.start, row.end) if row else (0, 0)
            points.append(
                KpiPoint(
                    key=key,
                    value=value,
                    document_id=document.id,
                    period=document.month,
                    start=start,
                    end=end,
                    quote=document.text[start:end],
                    corrected=correction is not None,
                    author=author,
                )
            )
    return points


@lru_cache(maxsize=1)
def _dense_worker() -> ThreadPoolExecutor:
    """One background thread for query embeddings, created on first use."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="chat-dense")


def retrieve(
    *, container: Container, question: str | None, engagement_id: int | None
) -> list[SearchHit]:
    """Hybrid search within the engagement, if the query embedding comes within budget.

    Chunk ranks only nudge the sentence scores, and on a busy machine embedding the
    question can take seconds; past the budget the BM25 half alone is used (the vector is
    cached when it arrives). One worker thread bounds the work left running behind.
    """
    if not question:
        return []
    filters = Bm25Filter(engagement_id=engagement_id)
    future = _dense_worker().submit(
        container.retriever.search, question, k=RETRIEVED_CHUNKS, mode="hybrid", filters=filters
    )
    try:
        return future.result(timeout=DENSE_BUDGET_S)
    except TimeoutError:
        future.cancel()  # still queued behind an earlier one: never start it
        return container.retriever.search(
            question, k=RETRIEVED_CHUNKS, mode="bm25", filters=filters
        )


def load_evidence(
    *, container: Container, engagement_id: int, as_of: dt.date, question: str | None
) -> Evidence:
    """Documents up to `as_of`, their units, the stored KPIs and (for a question) the chunks
    the hybrid retriever ranks highest within the engagement."""
    with container.session_factory() as session:
        engagement_row = repository.get_engagement(session, engagement_id)
        engagement = facts_of_engagement(engagement_row)
        documents = [facts_of_document(d) for d in engagement_row.documents if d.date <= as_of]
        kpis = stored_kpis(session, engagement, documents)
    units = {d.id: _units(d) for d in documents}
    titles = {d.id: _title_tokens(d.title) for d in documents}
    known = {d.id for d in documents}
    hits = retrieve(container=container, question=question, engagement_id=engagement_id)
    chunks = [ChunkHit(h.document_id, h.start, h.end) for h in hits if h.document_id in known]
    return Evidence(
        engagement=engagement,
        documents=documents,
        units=units,
        kpis=kpis,
        chunks=chunks,
        as_of=as_of,
        titles=titles,
    )


def understand(
    *,
    container: Container,
    evidence: Evidence,
    question: str,
    previous: dict[str, Any] | None = None,
) -> Intent:
    rules = rules_for(container)
    intent = classify(
        question,
        knowledge=rules.chat,
        kpi_knowledge=rules.kpi,
        analyze=text_analyzer().analyze,
        as_of=evidence.as_of,
        known_periods=evidence.known_periods,
    )
    return apply_context(intent, previous or {}, knowledge=rules.chat)


def answer_offline(
    *,
    container: Container,
    engagement_id: int,
    question: str,
    as_of: dt.date | None = None,
    previous: dict[str, Any] | None = None,
) -> tuple[OfflineAnswer, Intent, Evidence]:
    """The offline engine end to end (what the evaluation and the LLM fallback use)."""
    as_of = as_of or dt.date.today()
    evidence = load_evidence(
        container=container, engagement_id=engagement_id, as_of=as_of, question=question
    )
    intent = understand(
        container=container, evidence=evidence, question=question, previous=previous
    )
    if intent.kind == "summary":
        analysis = get_analysis(container=container, engagement_id=engagement_id, as_of=as_of)
        evidence = replace(evidence, analysis=analysis)
    result = offline_answer(intent, evidence, rules_for(container))
    return result, intent, evidence


# --- conversations ---------------------------------------------------------------------------


def _clean_question(question: str) -> str:
    cleaned = question.strip()
    if not cleaned:
        raise InvalidInput("質問を入力してください。")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"質問は{MAX_QUESTION_CHARS}文字以内で入力してください。")
    return cleaned


def _conversation(
    session: Session, *, engagement_id: int | None, conversation_id: int | None, question: str
) -> Conversation:
    if conversation_id is not None:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.engagement_id != engagement_id:
            raise NotFound(f"会話（ID {conversation_id}）が見つかりません。")
        return conversation
    conversation = Conversation(engagement_id=engagement_id, title=question[:TITLE_CHARS])
    session.add(conversation)
    session.flush()
    return conversation


def _citation_out(span: SourceSpan, **extra: Any) -> ChatCitation:
    return ChatCitation(
        document_id=span.document_id,
        start=span.start,
        end=span.end,
        quote=span.quote,
        title=span.title,
        period=span.period,
        date=span.date,
        **extra,
    )


def _previous_turns(conversation: Conversation) -> list[Message]:
    return list(conversation.messages)[-2 * HISTORY_TURNS :]


def _last_context(messages: Sequence[Message]) -> dict[str, Any]:
    for message in reversed(messages):
        if message.role == "assistant" and message.context:
            return dict(message.context)
    return {}


def _store(
    session: Session,
    conversation: Conversation,
    *,
    question: str,
    answer: ChatAnswer,
    context: dict[str, Any],
) -> None:
    now = dt.datetime.now(dt.UTC)
    session.add(Message(conversation_id=conversation.id, role="user", content=question, context={}))
    session.add(
        Message(
            conversation_id=conversation.id,
            role="assistant",
            content=answer.answer,
            citations=[c.model_dump(mode="json") for c in answer.citations],
            engine=answer.engine,
            note=answer.note,
            context=context,
        )
    )
    conversation.updated_at = now


def _chunks(text: str) -> Iterator[str]:
    """Offline answers are ready at once; stream them line by line all the same."""
    yield from text.splitlines(keepends=True)


@dataclass(frozen=True)
class Turn:
    """A validated question in a stored conversation, ready to be answered."""

    engagement_id: int | None
    conversation_id: int
    question: str
    as_of: dt.date | None
    history: tuple[tuple[str, str], ...]
    previous: dict[str, Any]


def start_turn(
    *,
    container: Container,
    engagement_id: int | None,
    question: str,
    conversation_id: int | None = None,
    as_of: dt.date | None = None,
) -> Turn:
    """Validate the question and find or open the conversation (errors surface here, before
    any streaming starts, so they become ordinary HTTP errors)."""
    question = _clean_question(question)
    with container.session_factory() as session:
        if engagement_id is not None:
            repository.require_engagement(session, engagement_id)
        conversation = _conversation(
            session, engagement_id=engagement_id, conversation_id=conversation_id, question=question
        )
        turns = _previous_turns(conversation)
        history = tuple((m.role, m.content) for m in turns)
        previous = _last_context(turns)
        session.commit()
        return Turn(engagement_id, conversation.id, question, as_of, history, previous)


def stream_turn(*, container: Container, turn: Turn) -> Iterator[ChatEvent]:
    """Answer the turn, yielding events as the answer is produced; stores both messages."""
    yield ChatEvent("meta", {"conversation_id": turn.conversation_id})
    if turn.engagement_id is None:
        result = yield from _portfolio_events(container=container, turn=turn)
        context: dict[str, Any] = {}
    else:
        result, context = yield from _engagement_events(container=container, turn=turn)
    with container.session_factory() as session:
        conversation = session.get(Conversation, turn.conversation_id)
        if conversation is not None:
            _store(session, conversation, question=turn.question, answer=result, context=context)
            session.commit()
    yield ChatEvent("done", result.model_dump(mode="json"))


def _engagement_events(
    *, container: Container, turn: Turn
) -> Generator[ChatEvent, None, tuple[ChatAnswer, dict[str, Any]]]:
    assert turn.engagement_id is not None
    offline, intent, evidence = answer_offline(
        container=container,
        engagement_id=turn.engagement_id,
        question=turn.question,
        as_of=turn.as_of,
        previous=turn.previous,
    )
    engine = "offline"
    note: str | None = None
    text, spans = offline.text, list(offline.citations)
    streamed = False
    try:
        for event in chat_llm.stream_answer(
            model=container.chat_model,
            prompts=container.knowledge.prompts,
            evidence=evidence,
            intent=intent,
            question=turn.question,
            history=turn.history,
            offline=offline,
            injection=rules_for(container).injection,
            kpi_labels=kpi_labels(container),
        ):
            if event.kind == "token":
                streamed = True
                yield ChatEvent("token", {"text": event.text})
            elif event.kind == "final" and event.result is not None:
                text, spans = event.result.text, list(event.result.citations)
                engine = "llm"
            elif event.kind == "rejected":
                note = event.text
    except LLMNotConfigured:
        pass  # the offline answer is the answer
    except LLMUnavailable as error:
        log.warning("chat LLM unavailable: %s", error.message)
        note = f"LLMを利用できなかったため、オフラインの回答を表示しています（{error.message}）。"
    if engine == "offline" and streamed:
        yield ChatEvent("replace", {"note": note or ""})
    if engine == "offline":
        yield from (ChatEvent("token", {"text": piece}) for piece in _chunks(text))
    result = ChatAnswer(
        answer=text,
        citations=[_citation_out(span) for span in spans],
        conversation_id=turn.conversation_id,
        engine=engine,  # type: ignore[arg-type]
        found=offline.found if engine == "offline" else bool(spans) or offline.found,
        question_type=intent.kind,
        note=note,
    )
    return result, {"kind": intent.kind, **offline.context}


def _portfolio_events(
    *, container: Container, turn: Turn
) -> Generator[ChatEvent, None, ChatAnswer]:
    as_of = turn.as_of or dt.date.today()
    result = answer_portfolio(container=container, question=turn.question, as_of=as_of)
    yield from (ChatEvent("token", {"text": piece}) for piece in _chunks(result.text))
    return ChatAnswer(
        answer=result.text,
        citations=[
            _citation_out(c.span, engagement_id=c.engagement_id, vendor_name=c.vendor_name)
            for c in result.citations
        ],
        conversation_id=turn.conversation_id,
        engine="offline",
        found=result.found,
        question_type=result.kind,
    )


def ask(
    *,
    container: Container,
    engagement_id: int | None,
    question: str,
    conversation_id: int | None = None,
    as_of: dt.date | None = None,
) -> ChatAnswer:
    """One question answered whole: the JSON API and the no-JavaScript form use it."""
    turn = start_turn(
        container=container,
        engagement_id=engagement_id,
        question=question,
        conversation_id=conversation_id,
        as_of=as_of,
    )
    final: dict[str, Any] | None = None
    for event in stream_turn(container=container, turn=turn):
        if event.event == "done":
            final = event.data
    assert final is not None
    return ChatAnswer.model_validate(final)


def answer_portfolio(
    *, container: Container, question: str, as_of: dt.date
) -> portfolio.PortfolioAnswer:
    """Route a cross-engagement question to a ranking, the renewal calendar, the stored
    analyses, or a search over all engagements."""
    rules = rules_for(container)
    with container.session_factory() as session:
        engagement_ids = [e.id for e in repository.list_engagements(session)]
    if not engagement_ids:
        return portfolio.PortfolioAnswer("契約がまだ登録されていません。", (), False, "none")
    probe = load_evidence(
        container=container, engagement_id=engagement_ids[0], as_of=as_of, question=None
    )
    intent = classify(
        question,
        knowledge=rules.chat,
        kpi_knowledge=rules.kpi,
        analyze=text_analyzer().analyze,
        as_of=as_of,
        known_periods=probe.known_periods,
    )
    kind = portfolio.route(intent, rules.chat.contract)
    if kind == "search":
        hits = retrieve(container=container, question=question, engagement_id=None)
        ranked = list(dict.fromkeys(hit.engagement_id for hit in hits))[: portfolio.TOP - 1]
        answers = []
        for engagement_id in ranked:
            result, _, evidence = answer_offline(
                container=container, engagement_id=engagement_id, question=question, as_of=as_of
            )
            answers.append((portfolio.EngagementView(evidence), result))
        return portfolio.combine(answers)
    views: list[portfolio.EngagementView] = []
    for engagement_id in engagement_ids:
        evidence = load_evidence(
            container=container, engagement_id=engagement_id, as_of=as_of, question=None
        )
        analysis = (
            get_analysis(
                container=container,
                engagement_id=engagement_id,
                as_of=None if as_of == dt.date.today() else as_of,
            )
            if kind in portfolio.PRESENCE_EVENTS
            else None
        )
        views.append(portfolio.EngagementView(evidence, analysis))
    if kind == "kpi":
        key = intent.kpi_key or intent.kpi_keys[0]
        return portfolio.rank_kpi(replace(intent, kpi_key=key), views, rules)
    if kind == "renewal":
        return portfolio.renewal_order(views, as_of)
    return portfolio.presence_listing(kind, views, rules)


def _message_out(message: Message, existing: set[int]) -> MessageOut:
    citations = [ChatCitation.model_validate(c) for c in message.citations or []]
    return MessageOut(
        id=message.id,
        role=message.role,  # type: ignore[arg-type]
        content=message.content,
        # A citation of a document deleted since is dropped rather than left dangling.
        citations=[c for c in citations if c.document_id in existing],
        engine=message.engine,  # type: ignore[arg-type]
        note=message.note,
        created_at=message.created_at,
    )


def conversations(*, container: Container, engagement_id: int | None) -> list[ConversationOut]:
    """The engagement's (or the portfolio's) conversations, newest first, with messages."""
    with container.session_factory() as session:
        if engagement_id is not None:
            repository.require_engagement(session, engagement_id)
        statement = select(Conversation).order_by(
            Conversation.updated_at.desc(), Conversation.id.desc()
        )
        statement = statement.where(
            Conversation.engagement_id == engagement_id
            if engagement_id is not None
            else Conversation.engagement_id.is_(None)
        )
        rows = list(session.scalars(statement))
        cited = {
            c["document_id"] for row in rows for m in row.messages for c in (m.citations or [])
        }
        existing = (
            set(session.scalars(select(Document.id).where(Document.id.in_(cited))))
            if cited
            else set()
        )
        return [
            ConversationOut(
                id=row.id,
                engagement_id=row.engagement_id,
                title=row.title,
                created_at=row.created_at,
                updated_at=row.updated_at,
                messages=[_message_out(m, existing) for m in row.messages],
            )
            for row in rows
        ]


def clear_history(*, container: Container, engagement_id: int | None) -> int:
    """Delete every conversation of the engagement (or of the portfolio); returns how many."""
    with container.session_factory() as session:
        if engagement_id is not None:
            repository.require_engagement(session, engagement_id)
        condition = (
            Conversation.engagement_id == engagement_id
            if engagement_id is not None
            else Conversation.engagement_id.is_(None)
        )
        ids = list(session.scalars(select(Conversation.id).where(condition)))
        if ids:
            # Explicit: SQLite enforces ON DELETE CASCADE only with its pragma on.
            session.execute(delete(Message).where(Message.conversation_id.in_(ids)))
            session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
        session.commit()
        return len(ids)


def kpi_labels(container: Container) -> dict[str, str]:
    return {k: str(v.label) for k, v in container.knowledge.kpi.kpis.items()}


def suggestions(*, container: Container, engagement_id: int | None) -> list[str]:
    """Questions worth asking: from the stored analysis, or the portfolio ones."""
    knowledge = rules_for(container).chat
    if engagement_id is None:
        return portfolio_questions(knowledge)
    analysis = get_analysis(container=container, engagement_id=engagement_id)
    return suggest_questions(
        analysis=analysis, knowledge=knowledge, kpi_labels=kpi_labels(container)
    )
