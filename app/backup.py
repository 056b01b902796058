"""`renewal-desk backup FILE` / `restore FILE`: one .tar.gz of the database, the vectors and
the knowledge users edited, taken while the server runs.

- The SQLite database is copied with the online backup API (`sqlite3.Connection.backup`):
  a consistent snapshot while other processes read and write.
- The vectors are read out of Chroma through its client (ids, embeddings, metadata, text)
  rather than copying its directory: Chroma's files are written by its own threads on their
  own schedule, and a copy of them mid-write is not guaranteed to open. Reading through the
  client works the same for the embedded store and a `chroma run` server.
- The two are taken one after the other, so a document stored or deleted in between may
  leave a few vectors without a row or rows without vectors. Restore reconciles: vectors
  without a chunk row are dropped, and if any chunk lacks its vector every chunk is
  re-embedded (`reindex`). The manifest records the counts to verify against.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import make_url

from app.errors import ConfigError, Conflict, InvalidInput
from app.settings import Settings

FORMAT = 1
DB_MEMBER = "renewal-desk.sqlite3"
VECTORS_MEMBER = "vectors/embeddings.npy"
RECORDS_MEMBER = "vectors/records.jsonl"
KNOWLEDGE_MEMBER = "knowledge"
MANIFEST_MEMBER = "manifest.json"
COUNTED_TABLES = ("vendors", "engagements", "documents", "chunks", "users", "analysis_results")


@dataclass(frozen=True)
class BackupReport:
    path: Path
    manifest: dict[str, Any]
    seconds: float


def _sqlite_path(settings: Settings) -> Path:
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise ConfigError(
            "backup/restore は SQLite のデータベースだけを扱います。PostgreSQL は pg_dump と "
            "Chroma サーバーの永続ディレクトリで保存してください（README「チームで使う」）。"
        )
    return Path(url.database)


def _counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        counts = {
            table: int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in COUNTED_TABLES
            if table in names
        }
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    counts_and_revision: dict[str, Any] = dict(counts)
    counts_and_revision["alembic_revision"] = revision[0] if revision else None
    return counts_and_revision


def _collection(settings: Settings) -> Any:
    # Importing the vector store registers our embedding function with Chroma.
    from app.retrieve.vectorstore import make_chroma_client

    client = make_chroma_client(settings)
    names = {getattr(c, "name", c) for c in client.list_collections()}
    if settings.chroma_collection not in names:
        return client, None  # nothing indexed yet
    return client, client.get_collection(settings.chroma_collection)


def _export_vectors(settings: Settings) -> tuple[np.ndarray[Any, Any], list[dict[str, Any]]]:
    client, collection = _collection(settings)
    batch = int(client.get_max_batch_size())
    vectors: list[Any] = []
    records: list[dict[str, Any]] = []
    offset = 0
    while collection is not None:
        page = collection.get(
            include=["embeddings", "metadatas", "documents"], limit=batch, offset=offset
        )
        ids = page["ids"]
        if not ids:
            break
        vectors.extend(page["embeddings"])
        metadatas = page["metadatas"] or [{}] * len(ids)
        texts = page["documents"] or [""] * len(ids)
        records += [
            {"id": i, "metadata": m or {}, "text": t or ""}
            for i, m, t in zip(ids, metadatas, texts, strict=True)
        ]
        offset += len(ids)
        if len(ids) < batch:
            break
    matrix = np.asarray(vectors, dtype=np.float32) if vectors else np.zeros((0, 0), np.float32)
    return matrix, records


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(*, settings: Settings, target: Path) -> BackupReport:
    """Snapshot the database, then the vectors, then the knowledge overlay, into `target`."""
    import app as app_package

    started = time.perf_counter()
    database = _sqlite_path(settings)
    if not database.exists():
        raise InvalidInput(f"データベース {database} がありません。")
    with tempfile.TemporaryDirectory(prefix="renewal-desk-backup-") as work:
        staging = Path(work)
        snapshot = staging / DB_MEMBER
        source = sqlite3.connect(database, timeout=30)
        destination = sqlite3.connect(snapshot)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
        db_seconds = time.perf_counter() - started
        vectors, records = _export_vectors(settings)
        (staging / "vectors").mkdir()
        np.save(staging / VECTORS_MEMBER, vectors)
        (staging / RECORDS_MEMBER).write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
        knowledge = settings.knowledge_overlay_dir
        files = [DB_MEMBER, VECTORS_MEMBER, RECORDS_MEMBER]
        if knowledge.is_dir():
            shutil.copytree(knowledge, staging / KNOWLEDGE_MEMBER)
            files += [
                p.relative_to(staging).as_posix()
                for p in sorted((staging / KNOWLEDGE_MEMBER).rglob("*"))
                if p.is_file()
            ]
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "app_version": getattr(app_package, "__version__", "0.1.0"),
            "chroma_collection": settings.chroma_collection,
            "embedding_mode": settings.embedding_mode,
            "counts": {**_counts(snapshot), "vectors": len(records)},
            "vector_dimensions": int(vectors.shape[1]) if vectors.size else 0,
            "files": {name: _sha256(staging / name) for name in files},
            "seconds": {"database": round(db_seconds, 3)},
        }
        manifest["seconds"]["total"] = round(time.perf_counter() - started, 3)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(
                archive,
                MANIFEST_MEMBER,
                json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"),
            )
            for name in files:
                archive.add(staging / name, arcname=name, recursive=False)
        partial.replace(target)
    return BackupReport(path=target, manifest=manifest, seconds=time.perf_counter() - started)


def _data_present(settings: Settings, database: Path) -> list[Path]:
    candidates = [database, settings.chroma_path, settings.knowledge_overlay_dir]
    return [
        path for path in candidates if path.exists() and (path.is_file() or any(path.iterdir()))
    ]


def _extract(source: Path, into: Path) -> dict[str, Any]:
    with tarfile.open(source, "r:gz") as archive:
        archive.extractall(into, filter="data")
    manifest_path = into / MANIFEST_MEMBER
    if not manifest_path.exists():
        raise InvalidInput(
            f"{source} は更新デスクのバックアップではありません（manifest.json がない）。"
        )
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise InvalidInput(f"バックアップの形式 {manifest.get('format')} には対応していません。")
    for name, digest in manifest["files"].items():
        path = into / name
        if not path.is_file() or _sha256(path) != digest:
            raise InvalidInput(f"バックアップが壊れています: {name} のハッシュが一致しません。")
    return manifest


def restore(*, settings: Settings, source: Path, force: bool = False) -> dict[str, Any]:
    """Bring a backup into an empty data dir (or replace one with `force`); verify counts."""
    from app.container import build_container
    from app.ingest.service import reindex
    from app.store import repository

    database = _sqlite_path(settings)
    present = _data_present(settings, database)
    if present and not force:
        raise Conflict(
            "復元先にデータがあります（"
            + "、".join(str(p) for p in present)
            + "）。空のデータディレクトリを指定するか --force を付けてください。"
        )
    with tempfile.TemporaryDirectory(prefix="renewal-desk-restore-") as work:
        staging = Path(work)
        manifest = _extract(source, staging)
        if settings.chroma_url is None:
            # Chroma keeps one client per path per process: drop it with the files it had open.
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
            shutil.rmtree(settings.chroma_path, ignore_errors=True)
        shutil.rmtree(settings.knowledge_overlay_dir, ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        database.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(staging / DB_MEMBER, database)
        if (staging / KNOWLEDGE_MEMBER).is_dir():
            shutil.copytree(staging / KNOWLEDGE_MEMBER, settings.knowledge_overlay_dir)
        vectors = np.load(staging / VECTORS_MEMBER)
        lines = (staging / RECORDS_MEMBER).read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines if line]
        container = build_container(settings)
        try:
            if settings.chroma_url is not None:
                # A server collection may hold vectors of the old data: start it empty.
                stale = [vector_id for vector_id, _ in container.vector_store.entries()]
                container.vector_store.delete(ids=stale)
            with container.session_factory() as session:
                known = {
                    chunk.vector_id for chunk, _ in repository.all_chunks_with_documents(session)
                }
            keep = [i for i, record in enumerate(records) if record["id"] in known]
            container.vector_store.add(
                ids=[records[i]["id"] for i in keep],
                texts=[records[i]["text"] for i in keep],
                embeddings=[vectors[i].tolist() for i in keep],
                metadatas=[records[i]["metadata"] for i in keep],
            )
            missing = len(known) - len(keep)
            reembedded = reindex(container=container) if missing else 0
            restored = {**_counts(database), "vectors": container.vector_store.count()}
        finally:
            container.close()
    expected = manifest["counts"]
    mismatched = {
        table: (expected.get(table), restored.get(table))
        for table in COUNTED_TABLES
        if expected.get(table) != restored.get(table)
    }
    if mismatched:
        raise InvalidInput(f"復元後の件数がバックアップと一致しません: {mismatched}")
    return {
        "restored": restored,
        "dropped_vectors": len(records) - len(keep),
        "missing_vectors": missing,
        "reembedded_chunks": reembedded,
        "backup_created_at": manifest["created_at"],
    }
