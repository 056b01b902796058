"""Drafts that leave the company, in headless Chromium: the external agenda and the letter
quote only what the vendor sent, on the page and in every exported file (issue 12)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from docx import Document as read_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from pypdf import PdfReader

from tests.browser import chromium, open_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

VENDOR = "株式会社シラサギコール"
CLIENT_SENTENCES = (
    "社長としては、先方の提案力にはまだ物足りなさがある",
    "更新しない場合の代替先として他社の見積を取る",
)


def _month(day: dt.date) -> str:
    return day.strftime("%Y-%m")


def add_engagement(live_server: LiveServer) -> int:
    """A contract renewing in four months: one vendor report, one set of our own minutes."""
    today = dt.date.today()
    reported = today - dt.timedelta(days=20)
    with live_server.client() as client:
        created = client.post(
            "/api/v1/engagements",
            json={
                "vendor_name": VENDOR,
                "service": "インサイドセールス代行",
                "start_date": (today - dt.timedelta(days=240)).isoformat(),
                "renewal_date": (today + dt.timedelta(days=120)).isoformat(),
                "notice_days": 30,
                "monthly_fee_jpy": 600_000,
                "kpi_targets": {"appointments": 20},
                "client_department": "営業推進部",
            },
        )
        assert created.status_code == 201, created.text
        engagement_id = int(created.json()["id"])
        assert created.json()["client_department"] == "営業推進部"
        documents = [
            {
                "kind": "vendor_report",
                "date": reported.isoformat(),
                "period": _month(reported - dt.timedelta(days=28)),
                "title": "月次活動報告",
                "text": "株式会社ハルカゼ工業\n営業推進部 日高様\n\n"
                "いつもお世話になっております。シラサギコールの小松です。\n"
                "アポ獲得数は16件（目標20件）でした。\n\n"
                "■ 来月のご提案\n"
                "1. 展示会の来場者リストを優先して架電したいと考えております。\n\n"
                "以上、よろしくお願いいたします。",
            },
            {
                "kind": "meeting_notes",
                "date": (reported + dt.timedelta(days=3)).isoformat(),
                "period": _month(reported - dt.timedelta(days=28)),
                "title": "定例会議 議事録",
                "text": "アポ獲得数は16件。目標に届いていない。\n"
                f"{CLIENT_SENTENCES[0]}。\n{CLIENT_SENTENCES[1]}。\n\n"
                "ToDo\n- 日高：他社見積の社内比較表を作成\n- 小松様：業種別のアポ率を報告\n",
            },
        ]
        for document in documents:
            answer = client.post(f"/api/v1/engagements/{engagement_id}/documents", json=document)
            assert answer.status_code == 201, answer.text
    return engagement_id


def assert_no_client_text(text: str) -> None:
    flat = "".join(text.split())
    for sentence in CLIENT_SENTENCES:
        assert "".join(sentence.split()) not in flat, sentence
    assert "他社見積" not in flat  # our internal ToDo stays inside
    assert "丸投げ" not in flat and "条件付き更新" not in flat


def download(page: object, selector: str, target: Path) -> Path:
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.click(selector)  # type: ignore[attr-defined]
    info.value.save_as(str(target))
    return target


def test_external_agenda_and_letter_quote_only_the_vendor(
    live_server: LiveServer, tmp_path: Path
) -> None:
    engagement_id = add_engagement(live_server)
    with chromium() as browser:
        page = live_server.login(open_page(browser, accept_downloads=True))
        page.goto(f"{live_server.url}/engagements/{engagement_id}/drafts")
        # Suggested from the report's self-introduction and address line; we add our name.
        assert page.input_value("#party-vendor_contact") == "小松"
        assert page.input_value("#party-client_contact") == "日高"
        page.fill("#party-client_company", "株式会社ハルカゼ工業")
        page.click("#save-parties")
        page.wait_for_selector("#parties-saved")

        page.click("#generate-agenda_external")
        page.wait_for_url("**/drafts/*")
        body = page.inner_text("#draft-body")
        assert "ご提案いただいた施策" in body and "展示会の来場者リスト" in body
        assert "小松様" in body and "貴社" in body
        assert "[1]" not in body  # the page shows the text the vendor gets: no markers
        assert "社内の確認用" in page.inner_text("#source-note")  # sources beside it, as a note
        assert_no_client_text(page.inner_text("main"))
        for suffix in ("md", "docx", "pdf"):
            saved = download(page, f"#download-{suffix}", tmp_path / f"agenda.{suffix}")
            if suffix == "md":
                text = saved.read_text(encoding="utf-8")
            elif suffix == "docx":
                text = "\n".join(p.text for p in read_docx(str(saved)).paragraphs)
            else:
                reader = PdfReader(io.BytesIO(saved.read_bytes()))
                text = "".join(p.extract_text() for p in reader.pages).replace("\x00", "")
            assert_no_client_text(text)
            assert "出典" not in text and "[1]" not in text and "文字目" not in text, suffix

        page.goto(f"{live_server.url}/engagements/{engagement_id}/drafts")
        page.click("#generate-proposal_request")
        page.wait_for_url("**/drafts/*")
        letter = page.inner_text("#draft-body")
        assert_no_client_text(page.inner_text("main"))
        assert "ご担当者様" not in letter and "＿＿＿＿" not in letter and "[1]" not in letter
        assert "【電話番号】" in letter  # what nobody entered is a placeholder the sender sees
        assert "【電話番号】" in page.inner_text("#problems")
        saved = download(page, "#download-docx", tmp_path / "letter.docx")
        paragraphs = read_docx(str(saved)).paragraphs
        texts = [p.text for p in paragraphs]
        assert f"{VENDOR}\n【ご所属】　小松様" in texts  # company, department and person
        sender = "株式会社ハルカゼ工業\n営業推進部　日高"
        assert sender in texts
        by_text = {p.text: p for p in paragraphs}
        assert by_text[sender].alignment == WD_ALIGN_PARAGRAPH.RIGHT
        assert paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT  # the date
        assert_no_client_text("\n".join(texts))
        assert not any("出典" in t for t in texts)
