"""Search: the search page and `GET /api/v1/search`, both over `search_view`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from app.container import Container
from app.ingest import engagements
from app.ingest.service import validate_period
from app.retrieve.bm25 import Bm25Filter
from app.retrieve.highlight import highlight_segments
from app.retrieve.hybrid import SearchMode
from app.serve import schemas
from app.serve.deps import ContainerDep, TemplatesDep
from app.serve.schemas import IdQuery

api = APIRouter(prefix="/api/v1", tags=["api"])
pages = APIRouter(include_in_schema=False)


def search_view(
    *, container: Container, query: str, mode: SearchMode, k: int, filters: Bm25Filter
) -> schemas.SearchOut:
    """Hits with exact offsets into the stored text and the title of their document."""
    hits = container.retriever.search(query, k=k, mode=mode, filters=filters)
    titles = engagements.document_titles(
        container=container, document_ids=[hit.document_id for hit in hits]
    )
    return schemas.SearchOut(
        query=query,
        mode=mode,
        hits=[
            schemas.SearchHitOut(
                document_id=hit.document_id,
                engagement_id=hit.engagement_id,
                kind=hit.kind,  # type: ignore[arg-type]
                period=hit.period,
                title=titles[hit.document_id],
                start=hit.start,
                end=hit.end,
                quote=hit.quote,
                score=hit.score,
                dense_rank=hit.dense_rank,
                bm25_rank=hit.bm25_rank,
            )
            for hit in hits
        ],
    )


def search_page_view(
    *, container: Container, query: str, engagement_id: int | None
) -> dict[str, object]:
    """The search page: hybrid search within one engagement or all, query words marked."""
    engagement = (
        engagements.engagement_summary(container=container, engagement_id=engagement_id)
        if engagement_id is not None
        else None
    )
    results = None
    if query.strip():
        results = search_view(
            container=container,
            query=query.strip()[:1000],
            mode="hybrid",
            k=10,
            filters=Bm25Filter(engagement_id=engagement_id),
        )
    terms = container.tokenizer.surfaces(query) if query.strip() else []
    hits = results.hits if results else []
    # Each hit names its vendor and engagement: a portfolio search spans several vendors.
    owners = {
        engagement_id: engagements.engagement_summary(
            container=container, engagement_id=engagement_id
        )
        for engagement_id in {hit.engagement_id for hit in hits}
    }
    highlighted = [
        (hit, highlight_segments(hit.quote, terms), owners[hit.engagement_id]) for hit in hits
    ]
    return {
        "q": query,
        "engagement": engagement,
        "results": highlighted,
        "searched": results is not None,
    }


@api.get("/search", response_model=schemas.SearchOut)
async def search(
    container: ContainerDep,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    engagement_id: IdQuery = None,
    kind: Annotated[list[schemas.DocumentKind] | None, Query()] = None,
    period_from: str | None = None,
    period_to: str | None = None,
    mode: Literal["dense", "bm25", "hybrid"] = "hybrid",
    k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> schemas.SearchOut:
    filters = Bm25Filter(
        engagement_id=engagement_id,
        kinds=tuple(kind or ()),
        period_from=validate_period(period_from),
        period_to=validate_period(period_to),
    )
    return await run_in_threadpool(
        search_view, container=container, query=q, mode=mode, k=k, filters=filters
    )


@pages.get("/search", response_class=HTMLResponse)
async def search_page(
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    q: str = "",
    engagement_id: IdQuery = None,
) -> Response:
    context = await run_in_threadpool(
        search_page_view, container=container, query=q, engagement_id=engagement_id
    )
    return templates.TemplateResponse(request, "search.html", context)
