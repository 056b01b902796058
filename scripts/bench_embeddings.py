"""Embedding quality on JSTS: Spearman correlation between cosine similarity and the label."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.retrieve.embeddings import build_embeddings
from app.settings import Settings
from scripts.bench_common import emit


def ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), as Spearman's rho needs."""
    order = np.argsort(values, kind="mergesort")
    ranked = np.empty(len(values), dtype=float)
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranked[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranked


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(ranks(x), ranks(y))[0, 1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jsts", type=Path, required=True)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.jsts.read_text(encoding="utf-8").splitlines() if line]
    embeddings = build_embeddings(Settings())
    # Symmetric similarity: both sides are embedded the same way (e5's `query: ` side).
    sentences = sorted({row["sentence1"] for row in rows} | {row["sentence2"] for row in rows})
    started = time.perf_counter()
    vectors = {sentence: np.asarray(embeddings.embed_query(sentence)) for sentence in sentences}
    elapsed = time.perf_counter() - started
    cosine = np.array(
        [float(vectors[row["sentence1"]] @ vectors[row["sentence2"]]) for row in rows]
    )
    labels = np.array([float(row["label"]) for row in rows])
    emit(
        {
            "spearman": round(spearman(cosine, labels), 4),
            "pairs": len(rows),
            "sentences_per_s": round(len(sentences) / elapsed, 1),
        },
        as_json=args.json,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
