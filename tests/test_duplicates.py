"""Near-duplicates warn instead of doubling the evidence; the user replaces or keeps both."""

from __future__ import annotations

import datetime as dt

import pytest

from app.container import Container
from app.ingest.duplicates import DuplicateFound, StoredDocument, comparable_text, find_duplicates
from app.ingest.service import DocumentInput, ingest_document
from app.store import repository
from tests.browser import chromium, open_page
from tests.conftest import LiveServer
from tests.files import docx_bytes

REPORT = (
    "いつもお世話になっております。ミドリ営業サポートの川口です。\n"
    "10月度の活動をご報告します。\n"
    "アポ獲得数は24件で、目標の30件に届きませんでした。\n"
    "来月はリストを製造業中心に組み替えることをご提案します。"
)
SIGNED = (
    REPORT.replace("\n", "\n\n")
    + "\n\n以上、よろしくお願いいたします。\n\n--\nミドリ営業サポート株式会社\n川口 修"
)


def stored(
    text: str, *, kind: str = "vendor_report", period: str | None = "2025-10"
) -> StoredDocument:
    return StoredDocument(id=7, kind=kind, period=period, title="10月度 活動報告", text=text)


def test_sign_offs_whitespace_and_greetings_do_not_make_a_new_document() -> None:
    assert comparable_text(REPORT) == comparable_text(SIGNED)
    found = find_duplicates(text=SIGNED, kind="email", period=None, stored=[stored(REPORT)])
    assert [(d.document_id, d.reason) for d in found] == [(7, "same_content")]


def test_different_wording_is_not_a_duplicate_but_the_same_month_report_warns() -> None:
    other = REPORT.replace("24件", "26件")
    assert find_duplicates(text=other, kind="email", period=None, stored=[stored(REPORT)]) == []
    found = find_duplicates(
        text=other, kind="vendor_report", period="2025-10", stored=[stored(REPORT)]
    )
    assert [d.reason for d in found] == ["same_month_report"]
    assert "2025年10月分の月次報告" in found[0].message
    assert (
        find_duplicates(text=other, kind="vendor_report", period="2025-11", stored=[stored(REPORT)])
        == []
    )


def data(engagement_id: int, text: str, policy: str, **extra: object) -> DocumentInput:
    return DocumentInput(
        engagement_id=engagement_id,
        kind="vendor_report",
        date=dt.date(2025, 11, 5),
        period="2025-10",
        title="10月度 活動報告",
        text=text,
        on_duplicate=policy,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


def test_service_warns_replaces_or_keeps(container: Container, engagement_id: int) -> None:
    first = ingest_document(container=container, data=data(engagement_id, REPORT, "warn"))
    with pytest.raises(DuplicateFound) as raised:
        ingest_document(container=container, data=data(engagement_id, SIGNED, "warn"))
    assert raised.value.duplicates[0].document_id == first.document_id
    replaced = ingest_document(container=container, data=data(engagement_id, SIGNED, "replace"))
    with container.session_factory() as session:
        ids = [d.id for d in repository.list_documents(session, engagement_id=engagement_id)]
    assert ids == [replaced.document_id] and replaced.document_id != first.document_id
    assert len(container.catalog) == replaced.chunk_count  # the old one left BM25 too
    kept = ingest_document(container=container, data=data(engagement_id, REPORT, "keep"))
    with container.session_factory() as session:
        assert len(repository.list_documents(session, engagement_id=engagement_id)) == 2
    assert kept.created


def test_api_answers_409_with_duplicate_of_for_the_same_report_as_docx(
    live_server: LiveServer, engagement_id: int
) -> None:
    client = live_server.client()
    base = f"/api/v1/engagements/{engagement_id}/documents"
    body = {"kind": "vendor_report", "date": "2025-11-05", "period": "2025-10", "text": REPORT}
    first = client.post(base, json=body)
    assert first.status_code == 201
    upload = docx_bytes([*REPORT.split("\n"), "以上"])
    fields = {"kind": "vendor_report", "date": "2025-11-06"}
    files = {"file": ("10月度報告.docx", upload)}
    clash = client.post(base + "/upload", data=fields, files=files)
    assert clash.status_code == 409
    error = clash.json()["error"]
    assert error["code"] == "duplicate"
    assert error["details"]["duplicate_of"] == first.json()["document"]["id"]
    kept = client.post(base + "/upload", params={"on_duplicate": "keep"}, data=fields, files=files)
    assert kept.status_code == 201
    corrected = {**body, "text": REPORT.replace("24件", "25件"), "date": "2025-11-07"}
    second = client.post(base, json=corrected)
    assert second.status_code == 201  # stored: a second report for the month may be the fix
    assert any("2025年10月分の月次報告" in w for w in second.json()["warnings"])


@pytest.mark.browser
def test_paste_page_warns_and_offers_replace(live_server: LiveServer, engagement_id: int) -> None:
    with chromium() as browser:
        page = live_server.login(open_page(browser))

        def paste(text: str) -> None:
            page.goto(f"{live_server.url}/engagements/{engagement_id}/documents/new")
            form = page.locator("#paste-form")
            form.locator("input[name=date]").fill("2025-11-05")
            form.locator("input[name=title]").fill("10月度 活動報告")
            form.locator("textarea[name=text]").fill(text)
            form.get_by_role("button", name="保存する").click()

        paste(REPORT)
        page.wait_for_url("**/documents/*")
        first_url = page.url
        paste(SIGNED)
        warning = page.locator("#duplicate-warning")
        assert "同じ内容の文書「10月度 活動報告」が既に保存されています" in warning.inner_text()
        assert warning.get_by_role("button", name="別の文書として保存").count() == 1
        warning.get_by_role("button", name="置き換える").click()
        page.wait_for_url("**/documents/*?created=1")
        assert "川口 修" in page.inner_text("#document-text")
        assert page.url.split("?")[0] != first_url.split("?")[0]
        page.get_by_role("link", name="株式会社テストセールス").first.click()
        assert page.locator("#timeline li li").count() == 1
