"""The reader's model as data: `knowledge/chat_reader.yaml` (scripts/train_reader.py writes it).

Kept apart from `app.chat.reader` so the shared `Rules` can carry it without an import cycle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from app.knowledge.files import validate_file

READER_FILE = "chat_reader.yaml"
FEATURES = (
    "score",
    "coverage",
    "rank",
    "gap",
    "dense_z",
    "dense_top",
    "char2",
    "char3",
    "shape",
    "event",
    "chunk",
    "period",
    "heading",
    "table_row",
    "length",
    "topical",
)


class ReaderModel(BaseModel):
    """knowledge/chat_reader.yaml: a standardised logistic model and its thresholds."""

    model_config = ConfigDict(extra="forbid")
    version: int
    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    intercept: float
    # How many of the hand ranking's best candidates the reader re-orders.
    top_k: int = Field(ge=1)
    # A best candidate at or above this probability answers (calibrated on the training pairs).
    found_probability: float = Field(ge=0.0, le=1.0)
    # Question endings removed before the n-gram overlap (polite and colloquial forms).
    endings: list[str] = Field(default_factory=list)
    trained_on: dict[str, int] = Field(default_factory=dict)
    # Whether the chat uses it: chosen by the held-out banks, never by the training figures
    # (docs/chat.md, round 4: off, it lost more held-out questions than it won).
    enabled: bool = False

    def probability(self, row: Sequence[float]) -> float:
        z = self.intercept
        for x, m, s, w in zip(row, self.mean, self.scale, self.weights, strict=True):
            z += w * (x - m) / (s or 1.0)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=4)
def _load(path: Path, stamp: float) -> ReaderModel | None:
    del stamp  # part of the cache key only: a retrained file is read again
    model = validate_file(ReaderModel, path)
    if model.features != list(FEATURES):
        return None  # trained for another feature set: not used until retrained
    return model


def load_reader(directory: Path) -> ReaderModel | None:
    """The reader model in `directory`, or None when there is none (the hand ranking alone);
    the chat uses it only when it is `enabled`."""
    path = directory / READER_FILE
    if not path.is_file():
        return None
    return _load(path, path.stat().st_mtime)
