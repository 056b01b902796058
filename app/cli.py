"""`renewal-desk` command line: serve, migrate, import, search, reindex, jobs."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from app.settings import Settings


def _container(settings: Settings):  # type: ignore[no-untyped-def]
    from app.container import build_container

    return build_container(settings)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.main import create_app

    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_migrate(_args: argparse.Namespace, settings: Settings) -> int:
    from app.store.db import make_engine, migrate

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    engine.dispose()
    print("migrations: up to date")
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from app.workflows import import_scenarios

    container = _container(settings)
    started = time.perf_counter()
    summary = import_scenarios(container=container, path=Path(args.path))
    print(
        f"imported {summary.engagements} engagement(s): {summary.documents_created} new document(s), "
        f"{summary.documents_existing} already stored ({time.perf_counter() - started:.1f} s)"
    )
    container.close()
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from app.retrieve.bm25 import Bm25Filter

    container = _container(settings)
    hits = container.retriever.search(
        args.query, k=args.k, mode=args.mode, filters=Bm25Filter(engagement_id=args.engagement)
    )
    for rank, hit in enumerate(hits, start=1):
        quote = hit.quote.replace("\n", " ")
        print(
            f"{rank:2d}. doc {hit.document_id} [{hit.start}:{hit.end}] {hit.period or '-'} {quote[:80]}"
        )
    container.close()
    return 0


def cmd_reindex(_args: argparse.Namespace, settings: Settings) -> int:
    from app.ingest.service import reindex

    container = _container(settings)
    started = time.perf_counter()
    count = reindex(container=container)
    print(json.dumps({"chunks": count, "seconds": round(time.perf_counter() - started, 2)}))
    container.close()
    return 0


def cmd_jobs(_args: argparse.Namespace, settings: Settings) -> int:
    from app.jobs import run_pending

    container = _container(settings)
    started = time.perf_counter()
    ran = run_pending(container=container, limit=10_000)
    print(json.dumps({"jobs": ran, "seconds": round(time.perf_counter() - started, 2)}))
    container.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="renewal-desk", description="更新デスク (Renewal Desk)")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(handler=cmd_serve)
    commands.add_parser("migrate", help="create or upgrade the database").set_defaults(
        handler=cmd_migrate
    )
    importer = commands.add_parser("import", help="import scenario YAML (file or folder)")
    importer.add_argument("path")
    importer.set_defaults(handler=cmd_import)
    search = commands.add_parser("search", help="hybrid search over stored documents")
    search.add_argument("query")
    search.add_argument("--engagement", type=int, default=None)
    search.add_argument("--mode", choices=["dense", "bm25", "hybrid"], default="hybrid")
    search.add_argument("-k", type=int, default=5)
    search.set_defaults(handler=cmd_search)
    commands.add_parser("reindex", help="re-embed all chunks and rebuild BM25").set_defaults(
        handler=cmd_reindex
    )
    commands.add_parser(
        "jobs", help="run queued background jobs (LLM-assisted analysis and drafts) and exit"
    ).set_defaults(handler=cmd_jobs)
    return parser


def main(argv: list[str] | None = None) -> int:
    from app.errors import RenewalDeskError

    args = build_parser().parse_args(argv)
    settings = Settings()
    try:
        code: int = args.handler(args, settings)
    except RenewalDeskError as error:
        print(f"エラー: {error.message}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
