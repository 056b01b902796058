"""Analysis service: gathers facts from the stores, runs the engine, stores the result.

The rules live in the pure modules beside this one; this module is the only one here that
touches the database and the retriever.
"""

from __future__ import annotations

import datetime as dt
import logging
from itertools import chain

import yaml
from sqlalchemy import delete, select

from app.analyse.engine import analyse
from app.analyse.kpi import KpiMention, UnrecognisedLabel, extract_kpis, extract_unrecognised
from app.analyse.llm import LLM_SIGNALS, judge_signal
from app.analyse.models import EngagementAnalysis, KpiUnrecognised
from app.analyse.stored import store_analysis, stored_analysis
from app.container import Container
from app.core.facts import CorrectionFact, DocumentFacts, EngagementFacts, KpiPoint, kpi_points
from app.errors import InvalidInput, NotFound
from app.knowledge import load_knowledge
from app.knowledge.kpi import KPI_SYNONYMS_OVERLAY, SynonymOverlay, with_synonyms
from app.llm.evidence import Passage
from app.retrieve.bm25 import Bm25Filter
from app.retrieve.hybrid import SearchHit
from app.store import repository
from app.store.models import Document, Engagement, KpiCorrection, KpiValue

log = logging.getLogger(__name__)


def engagement_facts(
    container: Container, engagement_id: int
) -> tuple[EngagementFacts, list[DocumentFacts]]:
    with container.session_factory() as session:
        engagement = repository.get_engagement(session, engagement_id)
        return facts_of_engagement(engagement), [facts_of_document(d) for d in engagement.documents]


def facts_of_engagement(engagement: Engagement) -> EngagementFacts:
    """The plain facts the pure engines take, read while the session is open."""
    return EngagementFacts(
        id=engagement.id,
        vendor_name=engagement.vendor.name,
        service=engagement.service,
        start_date=engagement.start_date,
        renewal_date=engagement.renewal_date,
        notice_days=engagement.notice_days,
        monthly_fee_jpy=engagement.monthly_fee_jpy,
        kpi_targets={k: float(v) for k, v in (engagement.kpi_targets or {}).items()},
    )


def facts_of_document(document: Document) -> DocumentFacts:
    return DocumentFacts(
        id=document.id,
        kind=document.kind,
        date=document.date,
        period=document.period,
        title=document.title,
        text=document.text,
        content_hash=document.content_hash,
    )


def _document_kpis(container: Container, document: DocumentFacts) -> tuple[KpiMention, ...]:
    """A stored document's KPI reading, kept in the container's bounded cache."""
    knowledge = container.knowledge
    key = (document.content_hash or document.text, document.period, knowledge.version)
    cached = container.caches.document_kpis.get(key)
    if cached is None:
        cached = tuple(extract_kpis(document.text, period=document.period, knowledge=knowledge.kpi))
        container.caches.document_kpis.put(key, cached)
    return cached  # type: ignore[return-value]


def kpi_points_of(
    container: Container, engagement: EngagementFacts, documents: list[DocumentFacts]
) -> list[KpiPoint]:
    """Every document's KPI actuals with the user's corrections applied (reads only)."""
    with container.session_factory() as session:
        corrections = [
            CorrectionFact(content_hash=c.content_hash, key=c.key, value=c.value)
            for c in session.scalars(
                select(KpiCorrection).where(KpiCorrection.engagement_id == engagement.id)
            )
        ]
    return kpi_points(
        vendor_name=engagement.vendor_name,
        documents=documents,
        stated={d.id: _document_kpis(container, d) for d in documents},
        corrections=corrections,
    )


def _own_period(mention: KpiMention, document: DocumentFacts) -> bool:
    """Rows keep the document's own month's values; other months' are points only."""
    return mention.period is None or mention.period == (document.period or mention.period)


def unrecognised_labels(
    container: Container, documents: list[DocumentFacts]
) -> list[KpiUnrecognised]:
    """Table rows that look like KPIs but whose labels the reader does not know."""
    found: list[KpiUnrecognised] = []
    knowledge = container.knowledge
    for document in documents:
        # Kept beside the document's KPI reading (a slot of its own in the same cache).
        key = (document.content_hash or document.text, "unrecognised", knowledge.version)
        rows = container.caches.document_kpis.get(key)
        if rows is None:
            rows = tuple(extract_unrecognised(document.text, knowledge=knowledge.kpi))
            container.caches.document_kpis.put(key, rows)
        for row in rows:
            assert isinstance(row, UnrecognisedLabel)
            found.append(
                KpiUnrecognised(
                    document_id=document.id,
                    label=row.label,
                    value_text=row.value_text,
                    quote=document.text[row.start : row.end],
                    start=row.start,
                    end=row.end,
                )
            )
    return found


def store_kpis(container: Container, documents: list[DocumentFacts]) -> None:
    """Keep each document's stated KPI values as rows (what exports and evaluation read)."""
    with container.session_factory() as session:
        document_ids = [d.id for d in documents]
        if document_ids:
            session.execute(delete(KpiValue).where(KpiValue.document_id.in_(document_ids)))
        for document in documents:
            own = [m for m in _document_kpis(container, document) if _own_period(m, document)]
            for mention in {m.key: m for m in own}.values():
                session.add(
                    KpiValue(
                        document_id=document.id,
                        key=mention.key,
                        value=mention.value,
                        start=mention.start,
                        end=mention.end,
                    )
                )
        session.commit()


def checklist_hits(
    container: Container, engagement_id: int, as_of: dt.date, document_ids: set[int]
) -> dict[str, list[SearchHit]]:
    """Per signal, the passages its checklist questions retrieve within the engagement."""
    found: dict[str, list[SearchHit]] = {}
    for key, answers in _checklist_answers(container, engagement_id).items():
        hits: dict[str, SearchHit] = {}
        for hit in chain.from_iterable(answers):
            if hit.document_id in document_ids:  # documents after `as_of` are ignored
                hits.setdefault(hit.vector_id, hit)
        found[key] = list(hits.values())
    return found


def _checklist_answers(
    container: Container, engagement_id: int
) -> dict[str, list[list[SearchHit]]]:
    """Per signal, each checklist question's hits, kept while the index is unchanged (same
    generation: no chunk added or removed anywhere, as BM25 weights depend on them all) and
    the knowledge too: the engagement page as of another day, and a re-analysis that finds
    nothing new, ask the same questions of the same passages."""
    retriever = container.retriever
    if retriever.refresh is not None:
        retriever.refresh()  # once for every question below
    generation = container.catalog.generation
    slot = ("checklist", engagement_id, str(generation), container.knowledge.version)
    cache = container.caches.analysis_digests  # per-engagement derived values, bounded
    cached = cache.get(slot) if generation is not None else None
    if cached is not None:
        return cached  # type: ignore[return-value]
    filters = Bm25Filter(engagement_id=engagement_id)
    answers: dict[str, list[list[SearchHit]]] = {
        key: [
            retriever.search(question, k=4, mode="hybrid", filters=filters, sync=False)
            for question in spec.checklist
        ]
        for key, spec in container.knowledge.signals.signals.items()
    }
    if generation is not None:
        cache.put(slot, answers)
    return answers


def passages_for(hits: list[SearchHit], titles: dict[int, str], limit: int = 8) -> list[Passage]:
    ranked = sorted(hits, key=lambda hit: -hit.score)[:limit]
    return [
        Passage(
            id=f"P{number}",
            document_id=hit.document_id,
            start=hit.start,
            end=hit.end,
            text=hit.quote,
            period=hit.period,
            title=titles.get(hit.document_id, ""),
        )
        for number, hit in enumerate(ranked, start=1)
    ]


def compute_analysis(
    *,
    container: Container,
    engagement_id: int,
    as_of: dt.date | None = None,
    assisted: bool = False,
) -> EngagementAnalysis:
    """The offline analysis; with `assisted`, the LLM judges the status signals (a job)."""
    as_of = as_of or dt.date.today()
    engagement, documents = engagement_facts(container, engagement_id)
    points = kpi_points_of(container, engagement, documents)
    visible = {d.id for d in documents if d.date <= as_of}
    retrieved = checklist_hits(container, engagement_id, as_of, visible)
    relevant: dict[int, list[tuple[int, int]]] = {}
    for hits in retrieved.values():
        for hit in hits:
            relevant.setdefault(hit.document_id, []).append((hit.start, hit.end))
    result = analyse(
        engagement=engagement,
        documents=documents,
        kpis=points,
        knowledge=container.knowledge,
        as_of=as_of,
        relevant=relevant,
        memo=container.caches.cue_matches,
        scores_memo=container.caches.detector_scores,
    )
    unknown = unrecognised_labels(container, [d for d in documents if d.id in visible])
    result = result.model_copy(update={"kpi_unrecognised": unknown})
    if not assisted:
        return result
    titles = {d.id: d.title for d in documents}
    overrides = {
        key: judge_signal(
            model=container.chat_model,
            prompts=container.knowledge.prompts,
            knowledge=container.knowledge,
            engagement=engagement,
            key=key,
            passages=passages_for(retrieved.get(key, []), titles),
            offline=result.signals[key],
        )
        for key in LLM_SIGNALS
    }
    judged = analyse(
        engagement=engagement,
        documents=documents,
        kpis=points,
        knowledge=container.knowledge,
        as_of=as_of,
        relevant=relevant,
        signal_overrides=overrides,
        memo=container.caches.cue_matches,
        scores_memo=container.caches.detector_scores,
    )
    engines = {signal.engine for signal in overrides.values()}
    return judged.model_copy(
        update={
            "engine": "llm" if engines == {"llm"} else "mixed" if "llm" in engines else "offline",
            "prompt_version": container.knowledge.prompts.version,
        }
    )


def refresh_analysis(
    *, container: Container, engagement_id: int, assisted: bool = False
) -> EngagementAnalysis:
    """Recompute as of today and store it (after every ingest, delete or correction)."""
    _engagement, documents = engagement_facts(container, engagement_id)
    store_kpis(container, documents)
    result = compute_analysis(container=container, engagement_id=engagement_id, assisted=assisted)
    return store_analysis(container=container, engagement_id=engagement_id, result=result)


def get_analysis(
    *, container: Container, engagement_id: int, as_of: dt.date | None = None
) -> EngagementAnalysis:
    """Read the stored analysis, or compute one (as of another date it is not stored)."""
    if as_of is not None and as_of != dt.date.today():
        return compute_analysis(container=container, engagement_id=engagement_id, as_of=as_of)
    stored = stored_analysis(container=container, engagement_id=engagement_id)
    # A GET never writes: a missing or stale result is computed, not stored.
    return stored or compute_analysis(container=container, engagement_id=engagement_id)


def correct_kpi(
    *, container: Container, document_id: int, key: str, value: float | None, note: str = ""
) -> EngagementAnalysis:
    """Record a user's KPI correction (None = not an actual) and re-analyse."""
    if key not in container.knowledge.kpi.kpis:
        raise InvalidInput(f"KPIの種類が不正です: {key!r}")
    if value is not None and value < 0:
        raise InvalidInput("KPIの値は0以上で入力してください。")
    with container.session_factory() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFound(f"文書（ID {document_id}）が見つかりません。")
        engagement_id = document.engagement_id
        existing = session.scalar(
            select(KpiCorrection).where(
                KpiCorrection.engagement_id == engagement_id,
                KpiCorrection.content_hash == document.content_hash,
                KpiCorrection.key == key,
            )
        )
        if existing is None:
            existing = KpiCorrection(
                engagement_id=engagement_id, content_hash=document.content_hash, key=key
            )
            session.add(existing)
        existing.value = value
        existing.note = note
        existing.corrected_at = dt.datetime.now(dt.UTC)
        session.commit()
    return refresh_analysis(container=container, engagement_id=engagement_id)


def remove_correction(*, container: Container, document_id: int, key: str) -> EngagementAnalysis:
    with container.session_factory() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFound(f"文書（ID {document_id}）が見つかりません。")
        engagement_id = document.engagement_id
        session.execute(
            delete(KpiCorrection).where(
                KpiCorrection.engagement_id == engagement_id,
                KpiCorrection.content_hash == document.content_hash,
                KpiCorrection.key == key,
            )
        )
        session.commit()
    return refresh_analysis(container=container, engagement_id=engagement_id)


def add_kpi_value(
    *, container: Container, document_id: int, key: str, value: float, note: str = ""
) -> EngagementAnalysis:
    """A value the text did not yield, added by the user: a correction for that key (keyed by
    the document's content hash, so it survives re-analysis and re-import)."""
    return correct_kpi(
        container=container, document_id=document_id, key=key, value=value, note=note
    )


def map_kpi_label(*, container: Container, label: str, key: str) -> None:
    """Save `label` as a synonym of `key` in the user overlay, reload the knowledge and
    re-analyse every engagement (a label may occur in any of them)."""
    label = label.strip()
    if key not in container.knowledge.kpi.kpis:
        raise InvalidInput(f"KPIの種類が不正です: {key!r}")
    if not label:
        raise InvalidInput("ラベルを入力してください。")
    overlay_dir = container.settings.knowledge_overlay_dir
    path = overlay_dir / KPI_SYNONYMS_OVERLAY
    data = (
        SynonymOverlay.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        if path.is_file()
        else SynonymOverlay()
    )
    synonyms = {k: list(v) for k, v in data.synonyms.items()}
    if label not in synonyms.setdefault(key, []):
        synonyms[key].append(label)
    try:
        with_synonyms(container.knowledge.kpi, SynonymOverlay(synonyms=synonyms))
    except ValueError as error:
        raise InvalidInput(f"「{label}」は既に別の意味の語として登録されています。") from error
    overlay_dir.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".yaml.tmp")
    temporary.write_text(
        yaml.safe_dump({"synonyms": synonyms}, allow_unicode=True, sort_keys=True), encoding="utf-8"
    )
    temporary.replace(path)  # atomic: a half-written overlay would stop the next start-up
    settings = container.settings
    container.knowledge = load_knowledge(
        settings.knowledge_dir, settings.prompts_dir, overlay_dir=overlay_dir
    )
    with container.session_factory() as session:
        engagement_ids = list(session.scalars(select(Engagement.id)))
    for engagement_id in engagement_ids:
        refresh_analysis(container=container, engagement_id=engagement_id)
