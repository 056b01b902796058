"""No verdict before evidence: an engagement without documents shows what to paste first."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from app.analyse.engine import analyse
from app.container import Container
from app.core.facts import DocumentFacts, EngagementFacts
from app.knowledge import Knowledge, load_knowledge
from app.settings import Settings
from tests.browser import chromium, open_page
from tests.conftest import LiveServer

ENGAGEMENT = EngagementFacts(
    id=1,
    vendor_name="株式会社ソラノセールス",
    service="テレアポ代行",
    start_date=dt.date(2025, 4, 1),
    renewal_date=dt.date(2026, 3, 31),
    notice_days=60,
    monthly_fee_jpy=700_000,
    kpi_targets={"appointments": 20},
)


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(Settings().knowledge_dir)


def test_no_documents_is_pending_not_a_conditional_renewal(knowledge: Knowledge) -> None:
    result = analyse(
        engagement=ENGAGEMENT, documents=[], kpis=[], knowledge=knowledge, as_of=dt.date(2026, 1, 5)
    )
    assert result.decision.decision == "pending"
    assert result.decision.label == "判断保留"
    assert result.decision.conditions == []
    assert any("貼り付ける" in reason for reason in result.decision.reasons)


def test_documents_with_nothing_to_judge_are_pending(knowledge: Knowledge) -> None:
    greeting = DocumentFacts(
        id=1,
        kind="email",
        date=dt.date(2025, 5, 8),
        period=None,
        title="ご挨拶",
        text="いつもお世話になっております。来週の打ち合わせの件、承知いたしました。",
    )
    result = analyse(
        engagement=ENGAGEMENT,
        documents=[greeting],
        kpis=[],
        knowledge=knowledge,
        as_of=dt.date(2025, 6, 1),
    )
    assert result.decision.decision == "pending"
    assert "読み取れませんでした" in result.decision.reasons[0]


def test_empty_engagement_page_says_what_to_paste(
    live_server: LiveServer, engagement_id: int
) -> None:
    page = httpx.get(
        f"{live_server.url}/engagements/{engagement_id}", headers=live_server.headers
    ).text
    assert 'id="empty-state"' in page
    assert "月次報告" in page and "判断保留" in page
    assert "条件付き更新" not in page and 'id="conditions"' not in page
    api = httpx.get(
        f"{live_server.url}/api/v1/engagements/{engagement_id}/analysis",
        headers=live_server.headers,
    ).json()
    assert api["decision"]["decision"] == "pending"


@pytest.mark.browser
def test_empty_state_in_the_browser_links_to_the_paste_form(
    live_server: LiveServer, container: Container, engagement_id: int
) -> None:
    with chromium() as browser:
        page = live_server.login(open_page(browser))
        page.goto(f"{live_server.url}/engagements/{engagement_id}")
        empty = page.locator("#empty-state")
        assert "まず報告書を貼り付けてください" in empty.inner_text()
        assert page.locator("#decision").count() == 0
        empty.get_by_role("link", name="報告書を貼り付ける").click()
        page.wait_for_url("**/documents/new")
        assert page.locator("#paste-form").count() == 1
