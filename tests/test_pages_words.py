"""Pages in plain words: no ids or jargon outside the 詳細 fold, the as-of control, the
other side's quotes on a signal card, and search hits that name their vendor."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from app.container import Container
from app.ingest.service import DocumentInput
from app.workflows import store_document
from tests.conftest import LiveServer, make_engagement

VENDOR = "株式会社コハクセールス"
OCTOBER = (
    "10月度の活動をご報告します。\n"
    "| 指標 | 目標 | 実績 |\n|---|---|---|\n| アポ獲得数 | 30件 | 28件 |\n\n"
    "製造業の反応が良いため、来月はリストを製造業に絞ることをご提案いたします。"
)
NOVEMBER = (
    "11月度の活動をご報告します。\n"
    "| 指標 | 目標 | 実績 |\n|---|---|---|\n| アポ獲得数 | 30件 | 31件 |\n\n"
    "製造業向けにトークを書き換えて試した結果、接続後の反応が良くなりました。\n"
    "所感：特になし"
)


@pytest.fixture()
def engagement(container: Container) -> int:
    engagement_id = make_engagement(container, vendor=VENDOR)
    for date, period, text in (
        (dt.date(2025, 11, 5), "2025-10", OCTOBER),
        (dt.date(2025, 12, 4), "2025-11", NOVEMBER),
    ):
        store_document(
            container=container,
            data=DocumentInput(
                engagement_id=engagement_id,
                kind="vendor_report",
                date=date,
                period=period,
                title=f"{period[5:].lstrip('0')}月度 活動報告",
                text=text,
            ),
        )
    return engagement_id


def outside_details(html: str) -> str:
    return re.sub(r"<details.*?</details>", "", html, flags=re.DOTALL)


def test_engagement_page_words_as_of_and_counter_quotes(
    live_server: LiveServer, engagement: int
) -> None:
    with live_server.session() as client:
        page = client.get(f"/engagements/{engagement}").text
        visible = outside_details(page)
        assert "開発者向け" in page and ">API<" not in page
        for jargon in ("チャンク", "知識 ", "knowledge_version", "engagement-"):
            assert jargon not in visible, jargon
        assert 'id="analysis-details"' in page and "知識バージョン" in page
        card = page.split('data-signal="proactivity"')[1].split("</article>")[0]
        assert "良好" in card and "懸念の記述" in card and "所感：特になし" in card

        earlier = client.get(f"/engagements/{engagement}", params={"as_of": "2025-11-20"}).text
        assert 'name="as_of" value="2025-11-20"' in earlier
        assert "文書 1 件" in earlier and "今日の時点に戻す" in earlier
        assert "文書 2 件" in page

        document_id = re.search(r'href="/documents/(\d+)"', page)
        assert document_id is not None
        stored = client.get(f"/documents/{document_id.group(1)}?created=1").text
        assert "保存しました。検索と分析に使えます。" in stored
        assert "チャンク" not in stored

        hits = client.get("/search", params={"q": "製造業 リスト"}).text
        where = re.findall(r'<div class="where">(.*?)</div>', hits, flags=re.DOTALL)
        assert where and all(VENDOR in line and "インサイドセールス代行" in line for line in where)
