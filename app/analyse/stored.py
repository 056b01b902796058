"""Stored analyses: the current result per engagement, and what pages read of all of them.

A stored analysis is current while the knowledge is unchanged and it was computed today;
`stored_digests` gives the dashboard and the comparison one small value per engagement,
worked out once per stored version instead of parsing every result on each request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import TypeVar

from sqlalchemy import select

from app.analyse.models import EngagementAnalysis
from app.container import Container
from app.store import repository
from app.store.models import AnalysisResult, Engagement

T = TypeVar("T")


def store_analysis(
    *, container: Container, engagement_id: int, result: EngagementAnalysis
) -> EngagementAnalysis:
    """Keep `result` as the engagement's current analysis."""
    with container.session_factory() as session:
        row = session.scalar(
            select(AnalysisResult).where(AnalysisResult.engagement_id == engagement_id)
        )
        if row is None:
            row = AnalysisResult(engagement_id=engagement_id)
            session.add(row)
        row.as_of = result.as_of
        row.engine = result.engine
        row.knowledge_version = result.knowledge_version
        row.prompt_version = result.prompt_version
        row.result = result.model_dump_json()
        row.computed_at = dt.datetime.now(dt.UTC)
        session.commit()
    return result


def stored_analysis(*, container: Container, engagement_id: int) -> EngagementAnalysis | None:
    """The stored result if it is still current (same knowledge, computed today)."""
    with container.session_factory() as session:
        repository.require_engagement(session, engagement_id)
        row = session.scalar(
            select(AnalysisResult).where(AnalysisResult.engagement_id == engagement_id)
        )
        if row is None or row.knowledge_version != container.knowledge.version:
            return None
        if row.as_of != dt.date.today():
            return None
        return EngagementAnalysis.model_validate_json(row.result)


def stored_digests(
    *,
    container: Container,
    slot: str,
    digest: Callable[[EngagementAnalysis], T],
    current_only: bool,
) -> dict[int, T]:
    """A small value derived from each engagement's stored analysis (the dashboard's
    decision, the comparison's columns), worked out once per stored version and kept in
    the container: parsing every stored analysis (~27 KB of JSON each) on each page grew
    with the portfolio. `current_only`: only analyses `stored_analysis` would return."""
    today, version = dt.date.today(), container.knowledge.version
    cache = container.caches.analysis_digests
    found: dict[int, T] = {}
    missing: dict[int, tuple[int, tuple[str, int, str, str]]] = {}  # row id → engagement, key
    with container.session_factory() as session:
        rows = session.execute(
            select(
                AnalysisResult.id,
                AnalysisResult.engagement_id,
                AnalysisResult.computed_at,
                AnalysisResult.knowledge_version,
                AnalysisResult.as_of,
            )
        )
        for row_id, engagement_id, computed_at, knowledge_version, as_of in rows:
            if current_only and (knowledge_version != version or as_of != today):
                continue
            key = (slot, engagement_id, computed_at.isoformat(), knowledge_version)
            value = cache.get(key)
            if value is None:
                missing[row_id] = (engagement_id, key)
            else:
                found[engagement_id] = value  # type: ignore[assignment]
        wanted = sorted(missing)
        for at in range(0, len(wanted), 500):
            for row_id, text in session.execute(
                select(AnalysisResult.id, AnalysisResult.result).where(
                    AnalysisResult.id.in_(wanted[at : at + 500])
                )
            ):
                engagement_id, key = missing[row_id]
                try:
                    value = digest(EngagementAnalysis.model_validate_json(text))
                except ValueError:  # a result stored by an older model: left out
                    continue
                cache.put(key, value)
                found[engagement_id] = value
    return found


def stale_engagements(*, container: Container, among: Collection[int] | None = None) -> list[int]:
    """Engagements without a current stored analysis (none yet, older knowledge, or not
    computed today): what the daily re-analysis brings up to date, so that no page has to
    compute hundreds of analyses inside one request. `among` asks about those only."""
    today, version = dt.date.today(), container.knowledge.version
    query = (
        select(Engagement.id, AnalysisResult.knowledge_version, AnalysisResult.as_of)
        .outerjoin(AnalysisResult, AnalysisResult.engagement_id == Engagement.id)
        .order_by(Engagement.id)
    )
    if among is not None:
        query = query.where(Engagement.id.in_(among))
    with container.session_factory() as session:
        rows = session.execute(query)
        return [
            engagement_id
            for engagement_id, knowledge_version, as_of in rows
            if knowledge_version != version or as_of != today
        ]
