"""JSON API under /api/v1: thin routes over the same services the pages use."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from app.errors import InvalidInput
from app.ingest.service import (
    DocumentInput,
    delete_engagement,
    validate_period,
)
from app.retrieve.bm25 import Bm25Filter
from app.serve import schemas, views
from app.serve.deps import ContainerDep
from app.serve.uploads import read_upload
from app.store import repository
from app.workflows import remove_document, store_document

router = APIRouter(prefix="/api/v1", tags=["api"])


@router.get("/vendors", response_model=list[schemas.VendorOut])
def list_vendors(container: ContainerDep) -> list[schemas.VendorOut]:
    with container.session_factory() as session:
        return [schemas.VendorOut(id=v.id, name=v.name) for v in repository.list_vendors(session)]


@router.post("/vendors", response_model=schemas.VendorOut, status_code=status.HTTP_201_CREATED)
def create_vendor(body: schemas.VendorIn, container: ContainerDep) -> schemas.VendorOut:
    with container.session_factory() as session:
        vendor = repository.get_or_create_vendor(session, name=body.name)
        session.commit()
        return schemas.VendorOut(id=vendor.id, name=vendor.name)


@router.get("/engagements", response_model=list[schemas.EngagementOut])
def list_engagements(container: ContainerDep) -> list[schemas.EngagementOut]:
    today = dt.date.today()
    with container.session_factory() as session:
        return [views.engagement_out(e, today=today) for e in repository.list_engagements(session)]


@router.post(
    "/engagements", response_model=schemas.EngagementDetail, status_code=status.HTTP_201_CREATED
)
def create_engagement(
    body: schemas.EngagementIn, container: ContainerDep
) -> schemas.EngagementDetail:
    with container.session_factory() as session:
        if body.vendor_id is not None:
            vendor_id = repository.get_vendor(session, body.vendor_id).id
        elif body.vendor_name:
            vendor_id = repository.get_or_create_vendor(session, name=body.vendor_name).id
        else:
            raise InvalidInput("vendor_id または vendor_name を指定してください。")
        engagement = repository.create_engagement(
            session,
            vendor_id=vendor_id,
            service=body.service,
            start_date=body.start_date,
            renewal_date=body.renewal_date,
            notice_days=body.notice_days,
            monthly_fee_jpy=body.monthly_fee_jpy,
            kpi_targets=body.kpi_targets,
        )
        session.commit()
        engagement = repository.get_engagement(session, engagement.id)
        return views.engagement_detail(engagement, today=dt.date.today())


@router.get("/engagements/{engagement_id}", response_model=schemas.EngagementDetail)
def get_engagement(engagement_id: int, container: ContainerDep) -> schemas.EngagementDetail:
    with container.session_factory() as session:
        engagement = repository.get_engagement(session, engagement_id)
        return views.engagement_detail(engagement, today=dt.date.today())


@router.delete("/engagements/{engagement_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_engagement(engagement_id: int, container: ContainerDep) -> Response:
    delete_engagement(container=container, engagement_id=engagement_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/engagements/{engagement_id}/documents", response_model=list[schemas.DocumentSummary])
def list_documents(engagement_id: int, container: ContainerDep) -> list[schemas.DocumentSummary]:
    with container.session_factory() as session:
        repository.get_engagement(session, engagement_id)
        documents = repository.list_documents(session, engagement_id=engagement_id)
        return [views.document_summary(d) for d in documents]


def _ingest_response(
    container: ContainerDep, data: DocumentInput, response: Response
) -> schemas.IngestOut:
    result = store_document(container=container, data=data)
    response.status_code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    with container.session_factory() as session:
        document = repository.get_document(session, result.document_id)
        return schemas.IngestOut(
            created=result.created,
            message="保存しました。"
            if result.created
            else "同じ内容の文書が既に保存されています。",
            document=views.document_out(document),
        )


@router.post(
    "/engagements/{engagement_id}/documents",
    response_model=schemas.IngestOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "同じ本文が既にあり、既存の文書を返した"}},
)
def create_document(
    engagement_id: int, body: schemas.DocumentIn, container: ContainerDep, response: Response
) -> schemas.IngestOut:
    data = DocumentInput(
        engagement_id=engagement_id,
        kind=body.kind,
        date=body.date,
        period=body.period,
        title=body.title,
        text=body.text,
    )
    return _ingest_response(container, data, response)


@router.post(
    "/engagements/{engagement_id}/documents/upload",
    response_model=schemas.IngestOut,
    status_code=status.HTTP_201_CREATED,
)
async def upload_document(
    engagement_id: int,
    container: ContainerDep,
    response: Response,
    file: Annotated[UploadFile, File(description=".txt / .md / .docx / .pdf")],
    kind: Annotated[schemas.DocumentKind, Form()],
    date: Annotated[dt.date, Form()],
    period: Annotated[str | None, Form()] = None,
    title: Annotated[str, Form(max_length=300)] = "",
) -> schemas.IngestOut:
    validate_period(period)
    with container.session_factory() as session:
        repository.get_engagement(session, engagement_id)
    filename, text = await read_upload(file, max_bytes=container.settings.max_upload_bytes)
    data = DocumentInput(
        engagement_id=engagement_id,
        kind=kind,
        date=date,
        period=period,
        title=title or filename,
        text=text,
        source_filename=filename,
    )
    return await run_in_threadpool(_ingest_response, container, data, response)


@router.get("/documents/{document_id}", response_model=schemas.DocumentOut)
def get_document(document_id: int, container: ContainerDep) -> schemas.DocumentOut:
    with container.session_factory() as session:
        return views.document_out(repository.get_document(session, document_id))


@router.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document_route(document_id: int, container: ContainerDep) -> Response:
    remove_document(container=container, document_id=document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/search", response_model=schemas.SearchOut)
def search(
    container: ContainerDep,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    engagement_id: int | None = None,
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
    return views.search(container=container, query=q, mode=mode, k=k, filters=filters)
