"""Background jobs in the database: queued once, run once, failures kept with their reason."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from app.container import Container
from app.jobs import JobRunner, enqueue, recent_jobs, run_pending
from app.store.models import Job


def test_the_same_waiting_job_is_queued_once(container: Container, engagement_id: int) -> None:
    first = enqueue(container=container, kind="analysis", engagement_id=engagement_id)
    again = enqueue(container=container, kind="analysis", engagement_id=engagement_id)
    other = enqueue(
        container=container, kind="draft", engagement_id=engagement_id, payload={"kind": "memo"}
    )
    assert first == again != other
    assert [job.kind for job in recent_jobs(container=container, engagement_id=engagement_id)] == [
        "draft",
        "analysis",
    ]


def test_a_failing_job_keeps_its_reason_and_does_not_stop_the_rest(
    container: Container, engagement_id: int
) -> None:
    enqueue(
        container=container, kind="draft", engagement_id=engagement_id, payload={"kind": "poem"}
    )
    enqueue(container=container, kind="analysis", engagement_id=engagement_id)
    assert run_pending(container=container) == 2
    analysis, draft = recent_jobs(container=container, engagement_id=engagement_id)
    assert (draft.status, analysis.status) == ("failed", "done")
    assert draft.error and "poem" in draft.error
    assert draft.status_label == "失敗" and draft.finished_at is not None
    assert draft.finished_at.tzinfo is not None


def test_two_workers_never_run_the_same_job(container: Container, engagement_id: int) -> None:
    for index in range(6):
        enqueue(
            container=container,
            kind="draft",
            engagement_id=engagement_id,
            payload={"kind": "memo", "as_of": f"2025-0{index + 1}-15"},
        )
    counts: list[int] = []
    workers = [
        threading.Thread(target=lambda: counts.append(run_pending(container=container)))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(counts) == 6
    with container.session_factory() as session:
        jobs = session.scalars(select(Job)).all()
    assert {job.status for job in jobs} == {"done"}
    assert all(job.attempts == 1 for job in jobs)


def test_the_runner_thread_picks_up_queued_jobs(container: Container, engagement_id: int) -> None:
    runner = JobRunner(container, interval_s=0.05)
    runner.start()
    try:
        enqueue(container=container, kind="analysis", engagement_id=engagement_id)
        deadline = time.monotonic() + 300  # a loaded CI machine: behaviour, not timing
        while time.monotonic() < deadline:
            [job] = recent_jobs(container=container, engagement_id=engagement_id)
            if job.status == "done":
                break
            time.sleep(0.05)
        assert job.status == "done"
    finally:
        runner.stop()
