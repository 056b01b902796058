"""Load test: N signed-in users for S seconds against a real server (pages, search, chat, paste).

Starts its own `renewal-desk serve` on loopback over a fresh data dir with the demo data (or
uses `--url` with `--email`/`--password`), signs every user in through the login form (cookie
session for pages and chat) and uses a bearer token for the JSON API. Prints requests, errors
by status and p50/p95 per kind; with `--json`, one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.bench_common import percentile, run_cli, serve_process  # noqa: E402

HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>', re.IGNORECASE)
ATTR = re.compile(r'(name|value)="([^"]*)"')
QUERIES = ["アポ数の推移", "担当者の交代", "商談化率", "改善提案", "リスト"]
QUESTIONS = ["担当者は誰ですか？", "直近のアポ数は？", "先方からの提案はありましたか？"]
PASTE = (
    "{month}月度のご報告です。架電数は{calls}件、アポ獲得数は{appointments}件でした。\n"
    "業種別のトークを見直し、来月は決裁者への接続率の改善に取り組みます。"
)


@dataclass
class Tally:
    """Latencies and statuses per request kind, shared by the user threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[(kind, status)] += 1

    def fail(self, kind: str, error: Exception) -> None:
        with self.lock:
            self.failures[f"{kind}: {type(error).__name__}"] += 1


def hidden_fields(html: str) -> dict[str, str]:
    """Every hidden input of a page (the login form's CSRF token, whatever its name)."""
    fields: dict[str, str] = {}
    for tag in HIDDEN.findall(html):
        attrs = dict(ATTR.findall(tag))
        if "name" in attrs:
            fields[attrs["name"]] = attrs.get("value", "")
    return fields


def sign_in(client: httpx.Client, email: str, password: str) -> None:
    page = client.get("/login")
    form = {**hidden_fields(page.text), "email": email, "password": password}
    response = client.post("/login", data=form)
    if response.status_code >= 400 or "/login" in str(response.url):
        raise RuntimeError(f"login failed: {response.status_code}")


@contextmanager
def own_server(port: int) -> Iterator[tuple[str, str, str, str]]:
    """A fresh server with the demo data and an admin; yields (url, email, password, token)."""
    data_dir = Path(tempfile.mkdtemp(prefix="renewal-desk-load-"))
    email, password = "load-admin@example.invalid", secrets.token_urlsafe(16)
    env = {**os.environ, "RENEWAL_DESK_DATA_DIR": str(data_dir), "ANONYMIZED_TELEMETRY": "False"}
    run_cli(env, "migrate")
    run_cli(env, "import", str(ROOT / "demo"))
    run_cli(env, "user", "add", email, "--role", "admin", "--password-stdin", stdin=password)
    token = run_cli(env, "token", "create", email, "--name", "load-test").strip().splitlines()[-1]
    with serve_process(env, port) as url:
        yield url, email, password, token


def user_loop(
    index: int, url: str, email: str, password: str, token: str, until: float, tally: Tally
) -> None:
    """One user: a weighted mix of pages, search, chat and (rarely) a paste."""
    rng = random.Random(index)
    with (
        httpx.Client(base_url=url, timeout=120, follow_redirects=True) as browser,
        httpx.Client(
            base_url=url, timeout=120, headers={"Authorization": f"Bearer {token}"}
        ) as api,
    ):
        sign_in(browser, email, password)
        engagements = [row["id"] for row in api.get("/api/v1/engagements").json()]
        kinds = ["page"] * 5 + ["search"] * 3 + ["chat"] * 2 + ["paste"]
        while time.monotonic() < until:
            kind = rng.choice(kinds)
            engagement = rng.choice(engagements)
            started = time.perf_counter()
            try:
                if kind == "page":
                    path = rng.choice(["/", f"/engagements/{engagement}", "/search?q=アポ"])
                    response = browser.get(path)
                elif kind == "search":
                    response = api.get("/api/v1/search", params={"q": rng.choice(QUERIES)})
                elif kind == "chat":
                    response = api.post(
                        f"/api/v1/engagements/{engagement}/chat",
                        json={"question": rng.choice(QUESTIONS)},
                    )
                else:
                    month = rng.randint(1, 12)
                    text = PASTE.format(
                        month=month, calls=rng.randint(800, 1500), appointments=rng.randint(5, 40)
                    )
                    response = api.post(
                        f"/api/v1/engagements/{engagement}/documents",
                        json={
                            "kind": "vendor_report",
                            "date": f"2026-{month:02d}-28",
                            "title": f"負荷試験 {index}-{started:.3f}",
                            "text": text + f"\n（試験番号 {index}-{started:.6f}）",
                        },
                    )
            except httpx.HTTPError as error:
                tally.fail(kind, error)
                continue
            tally.record(kind, time.perf_counter() - started, response.status_code)


def run(url: str, email: str, password: str, token: str, users: int, seconds: float) -> Tally:
    tally = Tally()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=user_loop, args=(i, url, email, password, token, until, tally))
        for i in range(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def summary(tally: Tally, users: int, seconds: float) -> dict[str, object]:
    errors = Counter(
        {f"{kind} {status}": n for (kind, status), n in tally.statuses.items() if status >= 400}
    )
    return {
        "users": users,
        "seconds": seconds,
        "requests": sum(tally.statuses.values()),
        "errors_by_status": dict(errors),
        "transport_failures": dict(tally.failures),
        "latency_s": {
            kind: {
                "n": len(values),
                "p50": round(percentile(values, 0.5), 3),
                "p95": round(percentile(values, 0.95), 3),
            }
            for kind, values in sorted(tally.latencies.items())
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--url", help="an already running server (needs --email, --password)")
    parser.add_argument("--email")
    parser.add_argument("--password")
    parser.add_argument("--token", help="bearer token for the API (with --url)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.url:
        tally = run(args.url, args.email, args.password, args.token, args.users, args.seconds)
    else:
        with own_server(args.port) as (url, email, password, token):
            tally = run(url, email, password, token, args.users, args.seconds)
    result = summary(tally, args.users, args.seconds)
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
