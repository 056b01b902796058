"""Background jobs in the database: imports, long documents' vectors, and LLM-assisted
analysis and drafting, all off the request path.

Any process may run them: a job is claimed by a conditional UPDATE (queued → running), so two
workers never run the same job. A failed job keeps its error; the offline result it would
have replaced stays in place, so a failure never loses anything.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from app.analyse.service import refresh_analysis
from app.container import Container
from app.core.vocabulary import DRAFT_KINDS
from app.draft.service import generate_draft
from app.errors import InvalidInput
from app.ingest.bulk import IMPORT_KIND, import_file
from app.ingest.vectors import EMBEDDING_JOB, embed_document
from app.store import repository
from app.store.models import Job

log = logging.getLogger(__name__)

JOB_KINDS = ("analysis", "draft", IMPORT_KIND, EMBEDDING_JOB)
JOB_LABELS = {
    "analysis": "LLMによる分析",
    "draft": "LLMによる下書き",
    IMPORT_KIND: "ファイルの取り込み",
    EMBEDDING_JOB: "意味検索の索引づくり",
}
STATUS_LABELS = {"queued": "待機中", "running": "実行中", "done": "完了", "failed": "失敗"}


@dataclass(frozen=True)
class JobView:
    """A job as pages and the API show it."""

    id: int
    kind: str
    label: str
    status: str
    status_label: str
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes; every stored one is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def enqueue(
    *, container: Container, kind: str, engagement_id: int, payload: dict[str, Any] | None = None
) -> int:
    """Queue a job unless the same one is already waiting; returns its id."""
    if kind not in JOB_KINDS:
        raise InvalidInput(f"ジョブの種類が不正です: {kind!r}")
    with container.session_factory() as session:
        job_id = repository.queue_job(
            session, kind=kind, engagement_id=engagement_id, payload=payload or {}
        )
        session.commit()
        return job_id


def _claim(container: Container, kinds: tuple[str, ...] | None = None) -> Job | None:
    with container.session_factory() as session:
        query = select(Job.id).where(Job.status == "queued")
        if kinds is not None:
            query = query.where(Job.kind.in_(kinds))
        candidates = session.scalars(query.order_by(Job.id).limit(5)).all()
        for job_id in candidates:
            claimed = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "queued")
                .values(
                    status="running",
                    started_at=dt.datetime.now(dt.UTC),
                    attempts=Job.attempts + 1,
                )
            )
            session.commit()
            if getattr(claimed, "rowcount", 0) == 1:
                return session.get(Job, job_id)
    return None


def _run(container: Container, job: Job) -> dict[str, Any]:
    """Run one job; returns what to add to its payload (an import's stored document)."""
    if job.kind == IMPORT_KIND:
        result = import_file(
            container=container,
            engagement_id=job.engagement_id,
            payload=job.payload,
            data=job.data or b"",
        )
        if result.created:  # the offline analysis now; the assisted one queued once
            refresh_analysis(container=container, engagement_id=job.engagement_id)
            if container.chat_model.configured:
                enqueue(container=container, kind="analysis", engagement_id=job.engagement_id)
        return {"document_id": result.document_id, "created": result.created}
    if job.kind == EMBEDDING_JOB:  # a long document's vectors; its checklist passages change
        if embed_document(container=container, document_id=int(job.payload["document_id"])):
            refresh_analysis(container=container, engagement_id=job.engagement_id)
    elif job.kind == "analysis":
        refresh_analysis(container=container, engagement_id=job.engagement_id, assisted=True)
    elif job.kind == "draft":
        kind = job.payload.get("kind")
        if kind not in DRAFT_KINDS:
            raise InvalidInput(f"下書きの種類が不正です: {kind!r}")
        as_of = job.payload.get("as_of")
        generate_draft(
            container=container,
            engagement_id=job.engagement_id,
            kind=kind,
            as_of=dt.date.fromisoformat(as_of) if as_of else None,
            assisted=True,
        )
    return {}


def _finish(
    container: Container, job: Job, error: str | None, outcome: dict[str, Any] | None = None
) -> None:
    values: dict[str, Any] = {
        "status": "failed" if error else "done",
        "error": error,
        "finished_at": dt.datetime.now(dt.UTC),
    }
    if outcome:
        values["payload"] = {**job.payload, **outcome}
    if job.data is not None:  # an imported file's bytes are not kept once it is handled
        values["data"] = None
    with container.session_factory() as session:
        session.execute(update(Job).where(Job.id == job.id).values(**values))
        session.commit()


def run_pending(
    *, container: Container, limit: int = 100, kinds: tuple[str, ...] | None = None
) -> int:
    """Run queued jobs (of `kinds`, default all) until none is left (or `limit`)."""
    ran = 0
    while ran < limit:
        job = _claim(container, kinds)
        if job is None:
            break
        try:
            outcome = _run(container, job)
        except Exception as error:  # a job's failure is recorded, never raised into the runner
            log.exception("job %s (%s) failed", job.id, job.kind)
            message = getattr(error, "message", None) or (
                "予期しないエラーのため取り込めませんでした。何も保存されていません。"
                if job.kind == IMPORT_KIND
                else f"{type(error).__name__}: {error}"
            )
            _finish(container, job, str(message))
        else:
            _finish(container, job, None, outcome)
        ran += 1
    return ran


def recent_jobs(*, container: Container, engagement_id: int, limit: int = 10) -> list[JobView]:
    """The engagement's latest jobs, newest first."""
    with container.session_factory() as session:
        rows = session.scalars(
            select(Job)
            .where(Job.engagement_id == engagement_id, Job.kind != IMPORT_KIND)
            .order_by(Job.id.desc())
            .limit(limit)
        ).all()
        return [
            JobView(
                id=row.id,
                kind=row.kind,
                label=JOB_LABELS.get(row.kind, row.kind),
                status=row.status,
                status_label=STATUS_LABELS.get(row.status, row.status),
                error=row.error,
                created_at=_aware(row.created_at) or row.created_at,
                finished_at=_aware(row.finished_at),
            )
            for row in rows
        ]


class JobRunner:
    """A daemon thread that runs queued jobs every `job_poll_s` seconds."""

    def __init__(self, container: Container, *, interval_s: float | None = None) -> None:
        self.container = container
        self.interval_s = interval_s or container.settings.job_poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="renewal-desk-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_pending(container=self.container, limit=10)
            except Exception:  # the database was unreachable: try again on the next tick
                log.exception("job runner tick failed")
            self._stop.wait(self.interval_s)
