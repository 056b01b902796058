"""Background jobs of an engagement: `/api/v1/engagements/{id}/jobs` and the page's status line."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from app.container import Container
from app.ingest import engagements
from app.jobs import recent_jobs
from app.serve.deps import ContainerDep
from app.serve.schemas import IdPath, JobOut

api = APIRouter(prefix="/api/v1", tags=["jobs"])

# What the page shows instead while an LLM job is pending or after it failed.
OFFLINE_NOTES = {
    "analysis": "オフラインの分析結果を表示しています。",
    "draft": "オフラインで作成した下書きを表示しています。",
}


@dataclass(frozen=True)
class JobLine:
    """One line on the engagement page: the latest job of one kind."""

    kind: str
    text: str
    status: str
    error: str | None
    note: str | None


def engagement_jobs(*, container: Container, engagement_id: int) -> list[JobOut]:
    """The engagement's recent jobs, newest first (NotFound for an unknown engagement)."""
    engagements.require_engagement(container=container, engagement_id=engagement_id)
    return [
        JobOut.model_validate(job)
        for job in recent_jobs(container=container, engagement_id=engagement_id)
    ]


def status_lines(jobs: list[JobOut]) -> list[JobLine]:
    """The latest job of each kind, e.g. 「LLMによる分析: 実行中」; a failure names its error."""
    latest: dict[str, JobOut] = {}
    for job in jobs:  # newest first
        latest.setdefault(job.kind, job)
    return [
        JobLine(
            kind=job.kind,
            text=f"{job.label}: {job.status_label}",
            status=job.status,
            error=job.error if job.status == "failed" else None,
            note=OFFLINE_NOTES.get(job.kind) if job.status != "done" else None,
        )
        for job in latest.values()
    ]


@api.get("/engagements/{engagement_id}/jobs", response_model=list[JobOut])
async def list_jobs(engagement_id: IdPath, container: ContainerDep) -> list[JobOut]:
    """LLM-assisted analysis and draft jobs with their status (`failed` keeps its error)."""
    return await run_in_threadpool(
        engagement_jobs, container=container, engagement_id=engagement_id
    )
