"""Vendors (代行会社) in the JSON API; the pages create them with the engagement form."""

from __future__ import annotations

from fastapi import APIRouter, status
from starlette.concurrency import run_in_threadpool

from app.ingest import engagements
from app.serve import schemas
from app.serve.deps import ContainerDep

api = APIRouter(prefix="/api/v1", tags=["api"])


@api.get("/vendors", response_model=list[schemas.VendorOut])
async def list_vendors(container: ContainerDep) -> list[schemas.VendorOut]:
    return await run_in_threadpool(engagements.list_vendors, container=container)


@api.post("/vendors", response_model=schemas.VendorOut, status_code=status.HTTP_201_CREATED)
async def create_vendor(body: schemas.VendorIn, container: ContainerDep) -> schemas.VendorOut:
    return await run_in_threadpool(engagements.create_vendor, container=container, name=body.name)
