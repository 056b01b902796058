"""The detectors' features, computed exactly as scripts/train_detectors.py fitted them.

Character n-grams of the NFKC-normalised sentence (what scikit-learn's `char` analyzer
yields), sublinear TF × IDF, L2-normalised, plus the document's side. Written out here so
the app needs only the committed arrays, never a pickled vectorizer.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from app.knowledge.rubric import DetectorModel

WHITESPACE = re.compile(r"\s\s+")


def side_column(author: str) -> float:
    """1 for the client's own documents: 「当社」「…したい」 mean the client there."""
    return 1.0 if author == "client" else 0.0


def extra_columns(names: Sequence[str], text: str, author: str) -> list[float]:
    """The explicit features after the n-grams, in the order the model file names them."""
    values = {"side_client": side_column(author)}
    return [values[name] for name in names]


def char_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's `char` analyzer: runs of whitespace become one space first."""
    text = WHITESPACE.sub(" ", text)
    grams: list[str] = []
    for size in range(low, high + 1):
        grams.extend(text[i : i + size] for i in range(len(text) - size + 1))
    return grams


def feature_matrix(
    model: DetectorModel, texts: Sequence[str], authors: Sequence[str]
) -> sparse.csr_matrix:
    """One row per normalised sentence: TF-IDF n-grams, then the extra columns."""
    spec = model.spec
    low, high = spec.ngram_range
    index = model.index
    width = len(spec.vocabulary)
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for row, (text, author) in enumerate(zip(texts, authors, strict=True)):
        counts = Counter(g for g in char_ngrams(text, low, high) if g in index)
        weighted = {
            index[gram]: (1.0 + math.log(count) if spec.sublinear_tf else float(count))
            * float(model.idf[index[gram]])
            for gram, count in counts.items()
        }
        norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
        for column, value in weighted.items():
            rows.append(row)
            columns.append(column)
            values.append(value / norm)
        for offset, value in enumerate(extra_columns(spec.extra_features, text, author)):
            rows.append(row)
            columns.append(width + offset)
            values.append(value)
    return sparse.csr_matrix(
        (np.array(values, dtype=np.float32), (rows, columns)),
        shape=(len(texts), width + len(spec.extra_features)),
    )


def probabilities(
    model: DetectorModel, texts: Sequence[str], authors: Sequence[str]
) -> NDArray[np.float64]:
    """sentences × detectors: the logistic probability of each detector."""
    if not texts:
        return np.zeros((0, len(model.keys)))
    biases = np.array([entry.bias for entry in model.spec.detectors])
    margins = feature_matrix(model, texts, authors) @ model.weights.T.astype(np.float64) + biases
    return np.asarray(1.0 / (1.0 + np.exp(-margins)))
