"""Chat metrics for scripts/evaluate.py: a scenario's `labels.questions`, or a question bank.

Each question is asked in a new conversation, as of the scenario's `labels.as_of`, through
the same service the API uses (offline unless an LLM is configured). An answer hits when,
after NFKC normalisation, it contains one of `answer_contains`; a citation hits when it
points into one of the `evidence` documents.

A question bank (`eval/qa/README.md`) names each item's scenario file, or `portfolio` for a
question across every engagement; each scenario is imported once into one container, so the
portfolio questions see all of them, and the figures are reported per `set`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from langchain_core.embeddings import Embeddings
from sqlalchemy import select

from app.chat.evidence import warm_engagement
from app.chat.service import ask
from app.container import Container, build_container
from app.core.normalize import normalize_for_matching
from app.settings import Settings
from app.store.models import Document
from app.workflows import import_scenarios

PORTFOLIO = "portfolio"
ENGINES = ("offline", "llm")


def eval_settings(data_dir: Path, engine: str) -> Settings:
    """`offline` clears the LLM settings whatever the environment holds; `llm` keeps the
    configured `RENEWAL_DESK_LLM_*` (so both engines run on the same data)."""
    if engine == "offline":
        return Settings(data_dir=data_dir, llm_base_url=None, llm_model=None, llm_api_key=None)
    return Settings(data_dir=data_dir)


class CachedEmbeddings(Embeddings):
    """The evaluation's embedder, with the passage vectors kept in a file by content hash:
    a re-run embeds only texts it has not seen (the vectors are the same)."""

    def __init__(self, inner: Embeddings, path: Path | None) -> None:
        self.inner = inner
        self.path = path
        self.vectors: dict[str, list[float]] = {}
        if path is not None and path.exists():
            with path.open("rb") as handle:
                stored = pickle.load(handle)
            self.vectors = {key: [float(x) for x in value] for key, value in stored.items()}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [hashlib.sha1(text.encode("utf-8")).hexdigest() for text in texts]
        missing = [text for text, key in zip(texts, keys, strict=True) if key not in self.vectors]
        if missing:
            for text, vector in zip(missing, self.inner.embed_documents(missing), strict=True):
                self.vectors[hashlib.sha1(text.encode("utf-8")).hexdigest()] = vector
        return [self.vectors[key] for key in keys]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def save(self) -> None:
        if self.path is None:
            return
        partial = self.path.with_suffix(".tmp")
        with partial.open("wb") as handle:
            pickle.dump(self.vectors, handle)
        os.replace(partial, self.path)


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def ask_item(
    *,
    container: Container,
    engagement_id: int | None,
    item: dict[str, Any],
    as_of: dt.date | None,
    document_ids: dict[int, str],
) -> dict[str, Any]:
    """Ask one question and score it: answer hit, citation hit, milliseconds."""
    started = time.perf_counter()
    result = ask(
        container=container, engagement_id=engagement_id, question=str(item["q"]), as_of=as_of
    )
    elapsed = (time.perf_counter() - started) * 1000
    answer = normalize_for_matching(result.answer)
    expected = [normalize_for_matching(str(text)) for text in item.get("answer_contains") or []]
    evidence = {str(doc) for doc in item.get("evidence") or []}
    answer_hit = any(text in answer for text in expected)
    # A question with no evidence (not in the documents, or the contract record) is not
    # scored for citations.
    citation_hit = (
        any(document_ids.get(c.document_id) in evidence for c in result.citations)
        if evidence
        else None
    )
    cited = sorted({document_ids.get(c.document_id, "?") for c in result.citations})
    return {
        "answer_hit": answer_hit,
        "citation_hit": citation_hit,
        "ms": elapsed,
        # Which engine wrote the answer (portfolio questions are offline by design).
        "engine": result.engine if engagement_id is not None else None,
        "miss": None
        if answer_hit and citation_hit is not False
        else (
            f"{'' if answer_hit else '[answer] '}{'[citation] ' if citation_hit is False else ''}"
            f"{item['q']} → {result.answer[:80]!r} cites {cited}"
        ),
    }


def evaluate_questions(
    *,
    container: Container,
    engagement_id: int,
    labels: dict[str, Any],
    document_ids: dict[int, str],
) -> dict[str, Any]:
    """Ask every `labels.questions` entry and return raw counts for `summarize_questions`."""
    as_of = _as_date(labels.get("as_of"))
    if labels.get("questions"):
        warm_engagement(container=container, engagement_id=engagement_id)
    scores = [
        ask_item(
            container=container,
            engagement_id=engagement_id,
            item=item,
            as_of=as_of,
            document_ids=document_ids,
        )
        for item in labels.get("questions") or []
    ]
    return _counts(scores)


def _counts(scores: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "asked": len(scores),
        "answer_hits": sum(s["answer_hit"] for s in scores),
        "citation_hits": sum(bool(s["citation_hit"]) for s in scores),
        "citation_scored": sum(s["citation_hit"] is not None for s in scores),
        "timings": [s["ms"] for s in scores],
        "llm_asked": sum(s.get("engine") is not None for s in scores),
        "llm_fallbacks": sum(s.get("engine") == "offline" for s in scores),
        "misses": [s["miss"] for s in scores if s["miss"]],
    }


def summarize_questions(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    asked = sum(o.get("asked", 0) for o in outcomes)
    timings = [t for o in outcomes for t in o.get("timings", [])]
    scored = sum(o.get("citation_scored", o.get("asked", 0)) for o in outcomes)
    if not asked:
        return {"qa_questions": 0, "qa_answer_hit": 0.0, "qa_citation_hit": 0.0, "qa_ms_p50": 0.0}
    return {
        "qa_questions": asked,
        "qa_answer_hit": round(sum(o.get("answer_hits", 0) for o in outcomes) / asked, 3),
        # None when no question of the set has evidence to point to.
        "qa_citation_hit": round(sum(o.get("citation_hits", 0) for o in outcomes) / scored, 3)
        if scored
        else None,
        "qa_ms_p50": round(statistics.median(timings), 1) if timings else 0.0,
    }


def chat_fallback(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """How often the LLM's chat answer was not used (the offline answer was shown)."""
    asked = sum(o.get("llm_asked", 0) for o in outcomes)
    fallbacks = sum(o.get("llm_fallbacks", 0) for o in outcomes)
    return {"chat_llm_fallback_rate": round(fallbacks / asked, 3) if asked else None}


@dataclass(frozen=True)
class Imported:
    engagement_id: int
    as_of: dt.date | None


def load_bank(path: Path) -> list[dict[str, Any]]:
    """The bank's items: a YAML list, or a mapping with `questions` (or `items`)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("questions") or data.get("items") or []
    return [item for item in data if isinstance(item, dict) and item.get("q")]


def _set_of(path: Path) -> str:
    """A scenario's set is its folder: dev, demo, or qa (eval/qa/scenarios)."""
    folder = path.parent
    return folder.parent.name if folder.name == "scenarios" else folder.name


def _portfolio(
    folder: Path, embeddings: Embeddings, engine: str
) -> tuple[Container, dict[Path, Imported], dict[int, str]]:
    """One container holding every scenario of a set, each imported once."""
    data_dir = Path(tempfile.mkdtemp(prefix="renewal-desk-qa-"))
    container = build_container(eval_settings(data_dir, engine), embeddings=embeddings)
    imported: dict[Path, Imported] = {}
    for path in sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"}):
        scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(scenario, dict) or "documents" not in scenario:
            continue
        summary = import_scenarios(container=container, path=path)
        engagement_id = next(iter(summary.engagement_ids.values()))
        # What a worker does after an ingest: the sentence vectors chat's dense half reads.
        warm_engagement(container=container, engagement_id=engagement_id)
        imported[path.resolve()] = Imported(
            engagement_id, _as_date((scenario.get("labels") or {}).get("as_of"))
        )
    with container.session_factory() as session:
        rows = session.execute(select(Document.id, Document.external_id)).all()
    return container, imported, {row[0]: str(row[1]) for row in rows}


def evaluate_bank(
    *,
    bank: Path,
    embeddings: Embeddings,
    root: Path,
    verbose: bool = False,
    engine: str = "offline",
) -> dict[str, Any]:
    """Every question of the bank; qa figures per set (dev, demo, qa, portfolio).

    A set is the folder of its scenarios; its portfolio (`scenario: portfolio`, `set: …`)
    is every scenario of that folder. Each folder is imported once into its own container,
    so portfolio questions see exactly their set. A question with no `evidence` (not in the
    documents, or answered from the contract record) is not scored for citations.
    """
    items = load_bank(bank)
    folders: dict[str, Path] = {}
    for item in items:
        name = str(item.get("scenario") or PORTFOLIO)
        if name != PORTFOLIO:
            path = (root / name).resolve()
            folders.setdefault(_set_of(path), path.parent)
    by_set: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for set_name, folder in sorted(folders.items()):
        container, imported, document_ids = _portfolio(folder, embeddings, engine)
        dates = [i.as_of for i in imported.values() if i.as_of is not None]
        try:
            for item in items:
                name = str(item.get("scenario") or PORTFOLIO)
                if name == PORTFOLIO:
                    if item.get("set") != set_name:
                        continue
                    target, report = None, PORTFOLIO
                else:
                    path = (root / name).resolve()
                    if _set_of(path) != set_name:
                        continue
                    target, report = imported[path], set_name
                as_of = _as_date(item.get("as_of")) or (
                    target.as_of if target else max(dates, default=None)
                )
                by_set[report].append(
                    ask_item(
                        container=container,
                        engagement_id=target.engagement_id if target else None,
                        item=item,
                        as_of=as_of,
                        document_ids=document_ids,
                    )
                    | {"type": str(item.get("type") or "")}
                )
        finally:
            container.close()
    result: dict[str, Any] = {
        "bank": str(bank),
        **summarize_questions([_counts(s) for s in by_set.values()]),
        "sets": {name: summarize_questions([_counts(s)]) for name, s in sorted(by_set.items())},
    }
    types: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for scores in by_set.values():
        for score in scores:
            types[score["type"]].append(score)
    result["types"] = {name: summarize_questions([_counts(s)]) for name, s in sorted(types.items())}
    if engine == "llm":
        result |= chat_fallback([_counts(s) for s in by_set.values()])
    if verbose:
        result["misses"] = {
            name: [s["miss"] for s in scores if s["miss"]] for name, scores in by_set.items()
        }
    return result
