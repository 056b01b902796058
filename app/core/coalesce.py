"""Coalesced recomputation: many changes to one thing, one recomputation that covers them.

Twenty people pasting into one engagement need its analysis redone after each paste, but
not twenty times over: a recomputation that *started* after a change covers that change.
Callers wait for such a run (their request answers with an up-to-date result) instead of
each running their own on the same CPU.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field


@dataclass
class _Key:
    lock: threading.Lock = field(default_factory=threading.Lock)
    changes: int = 0  # changes announced so far
    covered: int = 0  # changes seen by the last run that finished
    waiting: int = 0  # callers inside `after_change` for this key


class Coalescer:
    """Per key: after a change, make sure one run of `work` starts after it and finishes."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._keys: dict[Hashable, _Key] = {}

    def waiting(self, key: Hashable) -> int:
        """Callers waiting for (or running) `key`'s recomputation right now."""
        with self._guard:
            state = self._keys.get(key)
            return state.waiting if state else 0

    def after_change(self, key: Hashable, work: Callable[[], None]) -> None:
        """Call once the change is committed; returns when a run covering it has finished.

        A run that fails covers nothing: its error goes to its caller, and the callers it
        would have covered run `work` themselves.
        """
        with self._guard:
            state = self._keys.setdefault(key, _Key())
            state.changes += 1
            state.waiting += 1
            mine = state.changes
        try:
            with state.lock:
                if state.covered >= mine:
                    return
                with self._guard:
                    upto = state.changes
                work()
                state.covered = upto
        finally:
            with self._guard:
                state.waiting -= 1
                if state.waiting == 0:
                    del self._keys[key]  # nothing left to cover: keep the table small
