"""Coalesced re-analysis: concurrent changes share one run that started after them."""

from __future__ import annotations

import threading
import time

import pytest

from app.core.coalesce import Coalescer


def test_changes_during_a_run_share_the_next_run() -> None:
    coalescer = Coalescer()
    started = threading.Event()
    release = threading.Event()
    runs: list[int] = []
    observed: list[int] = []
    state = {"value": 0}

    def slow_work() -> None:
        runs.append(state["value"])
        started.set()
        release.wait(10)

    def work() -> None:
        runs.append(state["value"])
        observed.append(state["value"])

    first = threading.Thread(target=coalescer.after_change, args=("e1", slow_work))
    first.start()
    assert started.wait(10)
    # Five more changes arrive while the first run is still going.
    state["value"] = 5
    waiters = [threading.Thread(target=coalescer.after_change, args=("e1", work)) for _ in range(5)]
    for waiter in waiters:
        waiter.start()
    deadline = time.monotonic() + 10
    while coalescer.waiting("e1") < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    first.join(10)
    for waiter in waiters:
        waiter.join(10)
    # The first run saw value 0; one more run covers the five later changes.
    assert runs == [0, 5]
    assert observed == [5]
    assert coalescer.waiting("e1") == 0


def test_a_failed_run_covers_nothing() -> None:
    coalescer = Coalescer()
    calls: list[str] = []

    def failing() -> None:
        calls.append("failed")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        coalescer.after_change("e1", failing)
    coalescer.after_change("e1", lambda: calls.append("ran"))
    assert calls == ["failed", "ran"]


def test_keys_are_independent() -> None:
    coalescer = Coalescer()
    calls: list[str] = []
    coalescer.after_change("a", lambda: calls.append("a"))
    coalescer.after_change("b", lambda: calls.append("b"))
    coalescer.after_change("a", lambda: calls.append("a"))
    assert calls == ["a", "b", "a"]
