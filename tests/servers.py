"""Throwaway servers the suite starts itself: PostgreSQL from Debian's binaries, `chroma run`."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import free_port


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL server binaries are missing: run `make test` (it installs them)"
        )
    return Path(found[-1]).parent


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """initdb + pg_ctl on loopback in a temp dir; yields a SQLAlchemy URL of the `postgres` db."""
    bindir = _postgres_bin()
    base = Path(tempfile.mkdtemp(prefix="renewal-desk-pg-", dir="/tmp"))
    datadir, socketdir = base / "data", base / "socket"
    socketdir.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: use Debian's postgres user
        shutil.chown(base, "postgres")
        shutil.chown(socketdir, "postgres")
        os.chmod(base, 0o755)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True)

    run(
        str(bindir / "initdb"),
        "-D",
        str(datadir),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-locale",
    )
    options = f"-p {port} -k {socketdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(datadir),
        "-o",
        options,
        "-w",
        "-l",
        str(base / "log"),
        "start",
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """The real `chroma run` server (shipped with chromadb) on loopback."""
    port = free_port()
    executable = Path(sys.executable).parent / "chroma"
    process = subprocess.Popen(
        [str(executable), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("chroma server did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
