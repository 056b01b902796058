"""Bulk import: many files (or one .zip) become one batch of `import_file` jobs.

Each file is its own job in the database job table, so any worker process runs it, a failed
file records its reason and stores nothing while the others go on, and the batch page reads
its progress from the rows after a reload. Storing goes through the normal ingest path, so a
file imported twice is stored once (the content hash).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath

from pydantic import BaseModel
from sqlalchemy import select

from app.container import Container
from app.core.vocabulary import DOCUMENT_KINDS
from app.errors import InvalidInput, NotFound, TooLarge
from app.ingest.extract import (
    SUPPORTED_SUFFIXES,
    ArchiveLimits,
    check_archive,
    extract_text_isolated,
)
from app.ingest.service import DocumentInput, IngestResult, ingest_document
from app.settings import Settings
from app.store import repository
from app.store.models import Job

IMPORT_KIND = "import_file"
STATUS_LABELS = {"queued": "待機中", "running": "取り込み中", "done": "完了", "failed": "失敗"}


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    data: bytes


def _member_name(info: zipfile.ZipInfo) -> str:
    """Japanese Windows writes CP932 names without the UTF-8 flag; zipfile reads them as CP437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("cp932")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _skipped(name: str) -> bool:
    """Folders' own entries, hidden files and macOS resource forks are not documents."""
    parts = PurePosixPath(name).parts
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def unpack_zip(data: bytes, *, settings: Settings) -> list[IncomingFile]:
    """The documents in a .zip, read only after its directory passed the limits (count,
    unpacked size, compression ratio); a member path leaving the archive refuses it all."""
    limits = ArchiveLimits(
        max_unpacked_bytes=settings.bulk_max_unpacked_bytes,
        max_entries=settings.bulk_max_files * 2,
    )
    check_archive(data, label="ZIP ファイル", limits=limits)
    files: list[IncomingFile] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            name = _member_name(info).replace("\\", "/")
            path = PurePosixPath(name)
            if name.startswith("/") or ".." in path.parts or (path.parts and ":" in path.parts[0]):
                raise InvalidInput(
                    f"ZIP ファイルに展開先がフォルダの外になるパスが含まれています（{name}）。"
                    "何も取り込んでいません。"
                )
            if info.is_dir() or _skipped(name):
                continue
            if info.file_size > settings.max_upload_bytes:
                raise TooLarge(
                    f"ZIP 内のファイル「{path.name}」が大きすぎます"
                    f"（上限 {settings.max_upload_bytes // (1024 * 1024)} MB）。何も取り込んでいません。"
                )
            files.append(IncomingFile(filename=path.name, data=archive.read(info)))
    return files


def expand_uploads(files: list[IncomingFile], *, settings: Settings) -> list[IncomingFile]:
    """Uploaded files with every .zip among them replaced by its documents."""
    expanded: list[IncomingFile] = []
    for incoming in files:
        if PurePath(incoming.filename).suffix.lower() == ".zip":
            expanded.extend(unpack_zip(incoming.data, settings=settings))
        elif not _skipped(incoming.filename):
            expanded.append(incoming)
    return expanded


def folder_files(path: Path) -> list[IncomingFile]:
    """Every supported file in a folder (and its subfolders), in name order."""
    if not path.is_dir():
        raise InvalidInput(f"フォルダが見つかりません: {path}")
    return [
        IncomingFile(filename=file.name, data=file.read_bytes())
        for file in sorted(path.rglob("*"))
        if file.is_file()
        and file.suffix.lower() in SUPPORTED_SUFFIXES
        and not _skipped(str(file.relative_to(path)))
    ]


def create_batch(
    *,
    container: Container,
    engagement_id: int,
    files: list[IncomingFile],
    kind: str = "vendor_report",
    date: dt.date | None = None,
) -> str:
    """One batch id and one queued job per file, in one transaction; returns the batch id."""
    settings = container.settings
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput(f"文書の種類が不正です: {kind!r}")
    if not files:
        raise InvalidInput("取り込むファイルがありません。ファイルか ZIP を選択してください。")
    if len(files) > settings.bulk_max_files:
        raise TooLarge(
            f"ファイルが多すぎます（{len(files):,}件。一度に取り込めるのは{settings.bulk_max_files:,}件までです）。"
        )
    batch_id = uuid.uuid4().hex
    payload_date = (date or dt.datetime.now(dt.UTC).date()).isoformat()
    with container.session_factory() as session:
        repository.require_engagement(session, engagement_id)
        session.add_all(
            Job(
                kind=IMPORT_KIND,
                engagement_id=engagement_id,
                batch_id=batch_id,
                data=incoming.data,
                payload={"filename": incoming.filename, "kind": kind, "date": payload_date},
                status="queued",
            )
            for incoming in files
        )
        session.commit()
    return batch_id


def import_file(
    *, container: Container, engagement_id: int, payload: dict[str, str], data: bytes
) -> IngestResult:
    """Read one file and store it like a single upload; the month comes from its name or
    opening lines (a report stating none fails with the reason, storing nothing)."""
    settings = container.settings
    filename = payload["filename"]
    text = extract_text_isolated(
        filename=filename,
        data=data,
        max_bytes=settings.max_upload_bytes,
        timeout_s=settings.parse_timeout_s,
    )
    return ingest_document(
        container=container,
        data=DocumentInput(
            engagement_id=engagement_id,
            kind=payload["kind"],
            date=dt.date.fromisoformat(payload["date"]),
            period=None,
            title=PurePath(filename).stem,
            text=text,
            source_filename=filename,
        ),
    )


class FileProgress(BaseModel, frozen=True):
    """One file of a batch; also the API's row of it (`app.serve.imports.ImportOut`)."""

    job_id: int
    filename: str
    status: str
    status_label: str
    error: str | None
    document_id: int | None
    created: bool | None


@dataclass(frozen=True)
class BatchProgress:
    batch_id: str
    engagement_id: int
    total: int
    finished: int
    stored: int
    duplicates: int
    failed: int
    current: str | None
    complete: bool
    files: list[FileProgress]

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.total) if self.total else 100


def batch_progress(*, container: Container, batch_id: str) -> BatchProgress:
    """The batch as its rows say now (NotFound for an unknown id)."""
    with container.session_factory() as session:
        jobs = session.scalars(
            select(Job).where(Job.batch_id == batch_id, Job.kind == IMPORT_KIND).order_by(Job.id)
        ).all()
        if not jobs:
            raise NotFound("この一括取り込みは見つかりません。")
        files = [
            FileProgress(
                job_id=job.id,
                filename=str(job.payload.get("filename", "")),
                status=job.status,
                status_label=STATUS_LABELS.get(job.status, job.status),
                error=job.error,
                document_id=job.payload.get("document_id"),
                created=job.payload.get("created"),
            )
            for job in jobs
        ]
        engagement_id = jobs[0].engagement_id
    finished = [f for f in files if f.status in ("done", "failed")]
    running = [f for f in files if f.status == "running"]
    queued = [f for f in files if f.status == "queued"]
    pending = running + queued
    return BatchProgress(
        batch_id=batch_id,
        engagement_id=engagement_id,
        total=len(files),
        finished=len(finished),
        stored=sum(1 for f in files if f.status == "done" and f.created),
        duplicates=sum(1 for f in files if f.status == "done" and f.created is False),
        failed=sum(1 for f in files if f.status == "failed"),
        current=pending[0].filename if pending else None,
        complete=len(finished) == len(files),
        files=files,
    )
