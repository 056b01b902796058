"""`renewal-desk` command line: serve, migrate, import, search, reindex, jobs, remind, backup,
restore, users, tokens."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import InvalidInput
from app.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session, sessionmaker

    from app.container import Container


def _container(settings: Settings):  # type: ignore[no-untyped-def]
    from app.container import build_container

    return build_container(settings)


def _accounts_db(settings: Settings) -> sessionmaker[Session]:
    """Only the database (migrated): user and token commands load no model or index."""
    from app.store.db import make_engine, make_session_factory, migrate

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    return make_session_factory(engine)


def _read_password(args: argparse.Namespace) -> str:
    if not args.password_stdin:
        raise InvalidInput("パスワードは --password-stdin で標準入力から渡してください。")
    return sys.stdin.readline().rstrip("\r\n")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.auth.bind import refusal
    from app.auth.users import count_admins
    from app.main import create_app

    reason = refusal(args.host, settings=settings, admins=count_admins(db=_accounts_db(settings)))
    if reason is not None:
        print(f"起動しません: {reason}", file=sys.stderr)
        return 2
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


def _relative_to(value: str | None) -> dt.date | None:
    """「today」 or YYYY-MM-DD: the day relative scenario dates (the demo's) are moved to."""
    if value is None:
        return None
    if value == "today":
        return dt.date.today()
    return dt.date.fromisoformat(value)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from app.workflows import import_scenarios

    container = _container(settings)
    started = time.perf_counter()
    summary = import_scenarios(
        container=container, path=Path(args.path), relative_to=_relative_to(args.relative_to)
    )
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


def _timed(settings: Settings, key: str, work: Callable[[Container], int]) -> int:
    """Run one maintenance step on a fresh container and print `{key: count, seconds}`."""
    container = _container(settings)
    started = time.perf_counter()
    count = work(container)
    print(json.dumps({key: count, "seconds": round(time.perf_counter() - started, 2)}))
    container.close()
    return 0


def cmd_reindex(_args: argparse.Namespace, settings: Settings) -> int:
    from app.ingest.service import reindex

    return _timed(settings, "chunks", lambda container: reindex(container=container))


def cmd_jobs(_args: argparse.Namespace, settings: Settings) -> int:
    from app.jobs import run_pending

    return _timed(
        settings, "jobs", lambda container: run_pending(container=container, limit=10_000)
    )


def cmd_reanalyse(_args: argparse.Namespace, settings: Settings) -> int:
    """For a daily cron: re-analyse what is not current, so pages only read stored results."""
    from app.workflows import refresh_stale

    return _timed(settings, "reanalysed", lambda container: refresh_stale(container=container))


def cmd_import_folder(args: argparse.Namespace, settings: Settings) -> int:
    """Every supported file in a folder as one job each, run here with a line per file."""
    from app.ingest.bulk import IMPORT_KIND, batch_progress, create_batch, folder_files
    from app.jobs import run_pending

    container = _container(settings)
    files = folder_files(Path(args.path))
    batch_id = create_batch(
        container=container, engagement_id=args.engagement_id, files=files, kind=args.kind
    )
    print(f"{len(files)} 件のファイルを取り込みます（バッチ {batch_id}）。")
    reported: set[int] = set()
    while True:
        ran = run_pending(container=container, limit=1, kinds=(IMPORT_KIND,))
        progress = batch_progress(container=container, batch_id=batch_id)
        for file in progress.files:
            if file.status in ("done", "failed") and file.job_id not in reported:
                reported.add(file.job_id)
                outcome = file.error or ("保存しました" if file.created else "保存済みと同じ内容")
                print(f"[{len(reported)}/{progress.total}] {file.filename}: {outcome}")
        if progress.complete:
            break
        if not ran:  # another process holds the remaining files: wait for it
            time.sleep(settings.job_poll_s)
    print(
        f"完了: 保存 {progress.stored} 件、保存済みと同じ内容 {progress.duplicates} 件、"
        f"失敗 {progress.failed} 件。"
    )
    container.close()
    return 1 if progress.failed else 0


def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    """For cron: send what is due once; `--dry-run` prints the same lines and sends nothing."""
    from app.remind.service import run_reminders

    container = _container(settings)
    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    outcomes = run_reminders(container=container, as_of=as_of, dry_run=args.dry_run)
    for outcome in outcomes:
        print(outcome.line())
    if container.mailer is None and container.webhook is None and not args.dry_run:
        print(
            "送信手段が設定されていません（RENEWAL_DESK_SMTP_HOST または "
            "RENEWAL_DESK_REMIND_WEBHOOK_URL）。",
            file=sys.stderr,
        )
    sent = sum(outcome.status == "sent" for outcome in outcomes)
    failed = sum(outcome.status == "failed" for outcome in outcomes)
    print(json.dumps({"sent": sent, "failed": failed, "checked": len(outcomes)}))
    container.close()
    return 1 if failed else 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from app.backup import backup

    report = backup(settings=settings, target=Path(args.file))
    counts = report.manifest["counts"]
    print(
        f"バックアップを作成しました: {report.path}（文書 {counts.get('documents', 0)} 件、"
        f"チャンク {counts.get('chunks', 0)} 件、ベクトル {counts.get('vectors', 0)} 件、"
        f"{report.seconds:.1f} 秒）"
    )
    print(json.dumps(report.manifest["counts"], ensure_ascii=False))
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from app.backup import restore

    result = restore(settings=settings, source=Path(args.file), force=args.force)
    counts = result["restored"]
    print(
        f"復元しました（{result['backup_created_at']} のバックアップ、文書 "
        f"{counts.get('documents', 0)} 件、ベクトル {counts.get('vectors', 0)} 件）。"
    )
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _add_backup_commands(commands: Any) -> None:
    backup = commands.add_parser("backup", help="snapshot database, vectors and knowledge")
    backup.add_argument("file", help="the .tar.gz to write")
    backup.set_defaults(handler=cmd_backup)
    restore = commands.add_parser("restore", help="restore a backup into an empty data dir")
    restore.add_argument("file")
    restore.add_argument("--force", action="store_true", help="replace the data dir's contents")
    restore.set_defaults(handler=cmd_restore)


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth.roles import parse_role
    from app.auth.users import create_user

    user = create_user(
        db=_accounts_db(settings),
        email=args.email,
        role=parse_role(args.role),
        password=_read_password(args),
    )
    print(f"ユーザーを追加しました: {user.email}（{user.role.label}、id {user.id}）")
    return 0


def cmd_user_list(_args: argparse.Namespace, settings: Settings) -> int:
    from app.auth.users import list_users

    for user in list_users(db=_accounts_db(settings)):
        state = "" if user.is_active else "  (無効)"
        print(f"{user.id}\t{user.email}\t{user.role.value}{state}")
    return 0


def cmd_user_set_password(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth.users import set_password

    user = set_password(db=_accounts_db(settings), email=args.email, password=_read_password(args))
    print(f"パスワードを変更しました: {user.email}（既存のセッションは無効になりました）")
    return 0


def cmd_user_ensure_demo_admin(_args: argparse.Namespace, settings: Settings) -> int:
    """`make run`: the first start prints a login once; later starts print nothing new."""
    from app.auth.users import ensure_demo_admin

    created = ensure_demo_admin(db=_accounts_db(settings))
    if created is None:
        print("管理者ユーザーは登録済みです（renewal-desk user list で確認できます）。")
        return 0
    email, password = created
    print("デモ用の管理者を作成しました。このパスワードは二度と表示されません:")
    print(f"  メールアドレス: {email}")
    print(f"  パスワード:     {password}")
    return 0


def cmd_token_create(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth.tokens import create_token
    from app.auth.users import find_user

    db = _accounts_db(settings)
    info, secret = create_token(
        db=db, user_id=find_user(db=db, email=args.email).id, name=args.name
    )
    print(f"APIトークンを発行しました（id {info.id}、{info.email}、{info.role.label}）。")
    print("このトークンは二度と表示されません。次の行を控えてください:")
    print(secret)
    return 0


def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth.tokens import revoke_token

    info = revoke_token(db=_accounts_db(settings), token_id=args.id)
    print(f"トークン {info.id}（{info.email}、{info.name}）を失効させました。")
    return 0


def _add_account_commands(commands: Any) -> None:
    user = commands.add_parser("user", help="accounts: add, list, set-password").add_subparsers(
        dest="user_command", required=True
    )
    add = user.add_parser("add", help="add a user (password from stdin)")
    add.add_argument("email")
    add.add_argument("--role", default="viewer", help="viewer, editor or admin")
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(handler=cmd_user_add)
    user.add_parser("list", help="list users").set_defaults(handler=cmd_user_list)
    password = user.add_parser("set-password", help="set a password (from stdin)")
    password.add_argument("email")
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(handler=cmd_user_set_password)
    user.add_parser(
        "ensure-demo-admin", help="create an admin with a random password if there is none"
    ).set_defaults(handler=cmd_user_ensure_demo_admin)
    token = commands.add_parser("token", help="API tokens: create, revoke").add_subparsers(
        dest="token_command", required=True
    )
    create = token.add_parser("create", help="create a token (printed once, on the last line)")
    create.add_argument("email")
    create.add_argument("--name", default="cli")
    create.set_defaults(handler=cmd_token_create)
    revoke = token.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(handler=cmd_token_revoke)


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
    importer.add_argument(
        "--relative-to",
        metavar="today|YYYY-MM-DD",
        help="move the dates of scenarios with relative_dates (the demo) to this day",
    )
    importer.set_defaults(handler=cmd_import)
    folder = commands.add_parser(
        "import-folder", help="import every supported file in a folder into an engagement"
    )
    folder.add_argument("engagement_id", type=int)
    folder.add_argument("path")
    folder.add_argument("--kind", default="vendor_report", help="document kind of every file")
    folder.set_defaults(handler=cmd_import_folder)
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
    commands.add_parser(
        "reanalyse", help="re-analyse engagements whose stored analysis is not today's (cron)"
    ).set_defaults(handler=cmd_reanalyse)
    remind = commands.add_parser("remind", help="send the reminders due today (for cron)")
    remind.add_argument("--as-of", metavar="YYYY-MM-DD", help="act as if today were this day")
    remind.add_argument("--dry-run", action="store_true", help="print, send nothing")
    remind.set_defaults(handler=cmd_remind)
    _add_backup_commands(commands)
    _add_account_commands(commands)
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
