"""Train the chat reader (app/chat/reader.py) into knowledge/chat_reader.yaml.

Pairs (question, candidate sentence) come from the questions we may tune on only: the tune
bank (`eval/qa/tune.yaml`) and the dev scenarios' `labels.questions`. For each question the
hand ranking's best `TOP_K` candidates are taken (the reader switched off); a candidate is
positive when it lies in one of the question's `evidence` documents and contains one of its
`answer_contains` strings (NFKC). The model is scikit-learn's logistic regression on
standardised features (lbfgs, fixed C: deterministic); the 'found' probability is the one
that answers most training questions right, counting a wrong answer to a question whose
answer is absent as a miss. No holdout bank is read.

    .venv/bin/python scripts/train_reader.py [--vector-cache FILE] [--report]
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.chat.answering import understand  # noqa: E402
from app.chat.candidates import extractive_candidates  # noqa: E402
from app.chat.evidence import load_evidence, rules_for  # noqa: E402
from app.chat.ranking import is_found  # noqa: E402
from app.chat.reader import features  # noqa: E402
from app.chat.reader_model import FEATURES, READER_FILE  # noqa: E402
from app.core.normalize import normalize_for_matching  # noqa: E402
from app.retrieve.bm25 import Bm25Filter  # noqa: E402
from scripts.eval_chat import (  # noqa: E402
    PORTFOLIO,
    CachedEmbeddings,
    _as_date,
    _portfolio,
    _set_of,
    load_bank,
)

TOP_K = 30
EXTRACTIVE = ("when", "who", "what", "quantity", "yesno")
# Question endings dropped before the character n-gram overlap: the forms a question takes,
# not its topic (polite, plain and colloquial).
ENDINGS = [
    "でしたでしょうか",
    "でしょうか",
    "ですか",
    "でしたか",
    "ましたか",
    "ますか",
    "ていますか",
    "てますか",
    "だった",
    "だっけ",
    "ですかね",
    "かな",
    "っけ",
    "の",
    "か",
    "は",
]
DEFAULT_BANKS = [ROOT / "eval/qa/tune.yaml"]
DEV = ROOT.parent / "shared/eval/dev"


@dataclass
class Asked:
    """One training question's candidates: rows, labels, and what the hand rule decided."""

    kind: str
    rows: list[list[float]]
    labels: list[int]
    found_by_rule: list[bool]
    topical: list[bool]


def _items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for bank in DEFAULT_BANKS:
        items += load_bank(bank)
    for path in sorted(DEV.glob("*.yaml")):
        scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
        for question in (scenario.get("labels") or {}).get("questions") or []:
            items.append(question | {"scenario": str(path.resolve()), "type": "dev"})
    return [i for i in items if str(i.get("scenario") or PORTFOLIO) != PORTFOLIO]


def _scenario_path(item: dict[str, Any]) -> Path:
    return (ROOT / str(item["scenario"])).resolve()


def collect(embeddings: CachedEmbeddings) -> list[Asked]:
    """Every training question's candidate rows (the reader off)."""
    items = _items()
    folders: dict[str, Path] = {}
    for item in items:
        path = _scenario_path(item)
        folders.setdefault(_set_of(path), path.parent)
    asked: list[Asked] = []
    for _, folder in sorted(folders.items()):
        container, imported, document_ids = _portfolio(folder, embeddings, "offline")
        try:
            rules = rules_for(container)
            for item in items:
                path = _scenario_path(item)
                if path.parent != folder or path not in imported:
                    continue
                target = imported[path]
                question = str(item["q"])
                # The question's vector first (no time budget here): features are the same
                # whatever the machine's load.
                container.retriever.search(
                    question,
                    k=12,
                    mode="hybrid",
                    filters=Bm25Filter(engagement_id=target.engagement_id),
                )
                as_of = _as_date(item.get("as_of")) or target.as_of or dt.date.today()
                evidence = load_evidence(
                    container=container,
                    engagement_id=target.engagement_id,
                    as_of=as_of,
                    question=question,
                )
                intent = understand(container=container, evidence=evidence, question=question)
                if intent.kind not in EXTRACTIVE:
                    continue
                if intent.asks_document_date or intent.asks_document_sender:
                    continue
                found = extractive_candidates(intent, evidence, rules, read=False)
                ranked = found.ranked[:TOP_K]
                if not ranked:
                    continue
                wanted = [normalize_for_matching(str(t)) for t in item.get("answer_contains") or []]
                sources = {str(e) for e in item.get("evidence") or []}
                kind = str(item.get("type") or "")
                labels = [
                    int(
                        kind != "not_found"
                        and document_ids.get(s.unit.document.id) in sources
                        and any(w in s.unit.normalized for w in wanted)
                    )
                    for s in ranked
                ]
                rows = features(found.intent, ranked, evidence, rules, ENDINGS)
                asked.append(
                    Asked(
                        kind,
                        rows,
                        labels,
                        [is_found(s, rules.chat.thresholds) for s in ranked],
                        [s.topical for s in ranked],
                    )
                )
        finally:
            container.close()
    return asked


def _decide(asked: list[Asked], model: LogisticRegression, scaler: StandardScaler) -> float:
    """The found probability that answers most training questions right."""
    tops: list[tuple[float, bool, bool, bool, bool]] = []
    for a in asked:
        p = model.predict_proba(scaler.transform(np.array(a.rows)))[:, 1]
        best = int(np.argmax(p))
        tops.append(
            (
                float(p[best]),
                bool(a.labels[best]),
                a.found_by_rule[best],
                a.topical[best],
                a.kind == "not_found",
            )
        )
    best_t, best_right = 1.0, -1
    for t in [x / 100 for x in range(5, 100)]:
        right = 0
        for p, positive, rule, topical, absent in tops:
            answers = rule or (p >= t and topical)
            right += int((not answers) if absent else (answers and positive))
        if right > best_right:
            best_t, best_right = t, right
    return best_t


def train(asked: list[Asked], report: bool) -> dict[str, Any]:
    x = np.array([row for a in asked for row in a.rows])
    y = np.array([label for a in asked for label in a.labels])
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    model.fit(scaler.transform(x), y)
    threshold = _decide(asked, model, scaler)
    if report:
        _report(asked, model, scaler)
    counts: dict[str, int] = defaultdict(int)
    for a in asked:
        counts[a.kind or "other"] += 1
    return {
        "version": 1,
        "features": list(FEATURES),
        "mean": [round(float(v), 6) for v in scaler.mean_],
        "scale": [round(float(v), 6) for v in scaler.scale_],
        "weights": [round(float(v), 6) for v in model.coef_[0]],
        "intercept": round(float(model.intercept_[0]), 6),
        "top_k": TOP_K,
        "found_probability": threshold,
        "endings": ENDINGS,
        "trained_on": {
            "questions": len(asked),
            "pairs": len(y),
            "positives": int(y.sum()),
            **dict(sorted(counts.items())),
        },
    }


def _report(asked: list[Asked], model: LogisticRegression, scaler: StandardScaler) -> None:
    """Top-1 hit of the hand ranking and of the reader on the training questions that have
    a positive candidate (in-sample: a sanity check, not a measurement)."""
    hand = reader = total = 0
    for a in asked:
        if not any(a.labels):
            continue
        total += 1
        hand += a.labels[0]
        p = model.predict_proba(scaler.transform(np.array(a.rows)))[:, 1]
        reader += a.labels[int(np.argmax(p))]
    print(f"questions with a positive candidate: {total}; top-1 hand {hand}, reader {reader}")
    for name, weight in zip(FEATURES, model.coef_[0], strict=True):
        print(f"  {name:<10} {weight:+.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vector-cache", type=Path)
    parser.add_argument("--report", action="store_true")
    parser.add_argument(
        "--rows",
        type=Path,
        help="keep the collected pairs in this file (re-train without re-asking)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "knowledge" / READER_FILE)
    parser.add_argument(
        "--enable",
        action="store_true",
        help="let the chat use the model (decide by the held-out banks, docs/chat.md)",
    )
    args = parser.parse_args()
    from app.retrieve.embeddings import build_embeddings
    from app.settings import Settings

    if args.rows is not None and args.rows.exists():
        asked = pickle.loads(args.rows.read_bytes())
    else:
        embeddings = CachedEmbeddings(build_embeddings(Settings()), args.vector_cache)
        try:
            asked = collect(embeddings)
        finally:
            embeddings.save()
        if args.rows is not None:
            args.rows.write_bytes(pickle.dumps(asked))
    data = train(asked, args.report) | {"enabled": args.enable}
    header = (
        "# The chat reader (app/chat/reader.py): written by scripts/train_reader.py from\n"
        "# eval/qa/tune.yaml and the dev scenarios' questions. Do not edit by hand; retrain.\n"
    )
    args.out.write_text(
        header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    print(f"wrote {args.out} ({data['trained_on']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
