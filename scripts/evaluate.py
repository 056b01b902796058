"""Evaluate the offline analysis on a labelled dataset (format: ../shared/eval/SCHEMA.md).

Each scenario is imported into a fresh temporary data dir through the app's own import,
analysed as of `labels.as_of`, and compared with its labels. `--questions BANK` instead asks
a question bank (eval/qa/README.md) and reports the chat figures per set. `--json` prints
one JSON object as the last stdout line.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from app.analyse.llm import LLM_SIGNALS
from app.analyse.models import Citation, EngagementAnalysis
from app.analyse.service import compute_analysis
from app.container import Container, build_container
from app.core.vocabulary import STATUS_SIGNALS
from app.retrieve.embeddings import build_embeddings
from app.settings import Settings
from app.store.models import Document, KpiValue
from app.workflows import import_scenarios
from scripts.bench_common import emit
from scripts.eval_chat import (
    ENGINES,
    CachedEmbeddings,
    chat_fallback,
    eval_settings,
    evaluate_bank,
    evaluate_questions,
    summarize_questions,
)
from scripts.eval_drafts import evaluate_drafts, summarize_drafts

PRESENCE_SIGNALS = ("personnel_change", "expectation_gap", "stagnation")


def document_ids(container: Container, engagement_id: int) -> dict[int, str]:
    """Database id → scenario document id."""
    with container.session_factory() as session:
        rows = session.execute(
            select(Document.id, Document.external_id).where(Document.engagement_id == engagement_id)
        ).all()
    return {row[0]: str(row[1]) for row in rows}


def extracted_kpis(container: Container, ids: dict[int, str]) -> dict[str, dict[str, float]]:
    with container.session_factory() as session:
        rows = session.scalars(select(KpiValue).where(KpiValue.document_id.in_(list(ids))))
        found: dict[str, dict[str, float]] = defaultdict(dict)
        for row in rows:
            found[ids[row.document_id]][row.key] = row.value
    return found


def signal_citations(result: EngagementAnalysis, key: str) -> list[Citation]:
    if key in result.signals:
        return result.signals[key].evidence
    if key == "internal_factors":
        return [c for factor in result.internal_factors for c in factor.evidence]
    presence = getattr(result, key)
    evidence: list[Citation] = presence.evidence
    return evidence


def same_value(a: float, b: float) -> bool:
    """Exact value match (the schema's rule), allowing only float representation noise."""
    return abs(a - b) < 1e-6


def evaluate_scenario(
    path: Path, embeddings: Any, repeats: int, engine: str = "offline"
) -> dict[str, Any]:
    scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
    labels = scenario["labels"]
    data_dir = Path(tempfile.mkdtemp(prefix="renewal-desk-eval-"))
    container = build_container(eval_settings(data_dir, engine), embeddings=embeddings)
    assisted = engine == "llm"
    if assisted:
        repeats = 1  # every run asks the model again: time one
    summary = import_scenarios(container=container, path=path)
    engagement_id = next(iter(summary.engagement_ids.values()))
    timings: list[float] = []
    result: EngagementAnalysis | None = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = compute_analysis(
            container=container,
            engagement_id=engagement_id,
            as_of=labels["as_of"],
            assisted=assisted,
        )
        timings.append((time.perf_counter() - started) * 1000)
    assert result is not None
    ids = document_ids(container, engagement_id)
    outcome: dict[str, Any] = {
        "id": scenario.get("id", path.stem),
        "timings": timings,
        "checks": {},
        # The LLM-judged signals that kept the offline result (llm engine only).
        "signal_fallbacks": sum(result.signals[k].engine != "llm" for k in LLM_SIGNALS),
    }
    checks = outcome["checks"]
    signals = labels.get("signals", {})
    for key in STATUS_SIGNALS:
        if key in signals:
            checks[key] = (result.signals[key].status, signals[key]["status"])
    for presence in PRESENCE_SIGNALS:
        if presence in signals:
            checks[presence] = (
                getattr(result, presence).present,
                bool(signals[presence]["present"]),
            )
    if "internal_factors" in signals:
        got = sorted(f.type for f in result.internal_factors)
        want = sorted(signals["internal_factors"].get("present") or [])
        checks["internal_factors"] = (got, want)
        outcome["factors"] = (set(got), set(want))
    checks["phase"] = (result.phase, labels.get("phase"))
    checks["decision"] = (result.decision.decision, labels.get("decision"))

    cited = correct = 0
    outcome["evidence_misses"] = []
    for key, label in signals.items():
        evidence = set(label.get("evidence") or [])
        wanted = label.get("status") in ("good", "concern") or bool(label.get("present"))
        if not evidence or not wanted:
            continue
        for citation in signal_citations(result, key):
            cited += 1
            hit = ids.get(citation.document_id) in evidence
            correct += hit
            if not hit:
                outcome["evidence_misses"].append(
                    f"{key} {ids.get(citation.document_id)}: {citation.quote[:60]}"
                )
    outcome["evidence"] = (correct, cited)

    expected = labels.get("kpis") or {}
    found = extracted_kpis(container, ids)
    true_positive = sum(
        1
        for doc, values in found.items()
        for key, value in values.items()
        if key in expected.get(doc, {}) and same_value(value, float(expected[doc][key]))
    )
    outcome["kpi"] = (
        true_positive,
        sum(len(v) for v in found.values()),
        sum(len(v) for v in expected.values()),
    )
    outcome["kpi_misses"] = [
        f"{doc}.{key}: got {found.get(doc, {}).get(key)} want {value}"
        for doc, values in expected.items()
        for key, value in values.items()
        if not (key in found.get(doc, {}) and same_value(found[doc][key], float(value)))
    ] + [
        f"{doc}.{key}: extra {value}"
        for doc, values in found.items()
        for key, value in values.items()
        if key not in expected.get(doc, {})
    ]
    outcome["drafts"] = evaluate_drafts(
        container=container,
        engagement_id=engagement_id,
        labels=labels,
        document_ids=ids,
        assisted=assisted,
    )
    outcome["chat"] = evaluate_questions(
        container=container, engagement_id=engagement_id, labels=labels, document_ids=ids
    )
    container.close()
    return outcome


def llm_fallbacks(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """Per part, the share of LLM attempts whose offline result was kept."""
    signals = len(outcomes) * len(LLM_SIGNALS)
    drafts = sum(o["drafts"].get("drafts", 0) for o in outcomes)
    llm_drafts = sum(o["drafts"].get("llm_drafts", 0) for o in outcomes)
    return {
        "engine": "llm",
        "signals_llm_fallback_rate": round(
            sum(o["signal_fallbacks"] for o in outcomes) / signals, 3
        )
        if signals
        else None,
        "drafts_llm_fallback_rate": round((drafts - llm_drafts) / drafts, 3) if drafts else None,
        **chat_fallback([o["chat"] for o in outcomes]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", type=Path)
    source.add_argument("--questions", type=Path, help="a question bank: chat figures per set")
    parser.add_argument(
        "--repeats", type=int, default=3, help="analysis runs per scenario (timing)"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="offline",
        help="llm: the LLM-assisted path (RENEWAL_DESK_LLM_*), with fallback rates per part",
    )
    parser.add_argument(
        "--vector-cache",
        type=Path,
        help="a file of passage vectors by content hash, read and updated (faster re-runs)",
    )
    args = parser.parse_args()
    if args.engine == "llm" and not Settings().llm_enabled:
        print(
            "--engine llm needs an OpenAI-compatible model: set RENEWAL_DESK_LLM_BASE_URL and "
            "RENEWAL_DESK_LLM_MODEL (and RENEWAL_DESK_LLM_API_KEY if the server wants one).",
            file=sys.stderr,
        )
        return 2
    embeddings = CachedEmbeddings(build_embeddings(Settings()), args.vector_cache)
    try:
        return _run(args, embeddings)
    finally:
        embeddings.save()


def _run(args: argparse.Namespace, embeddings: CachedEmbeddings) -> int:
    if args.questions is not None:
        bank = evaluate_bank(
            bank=args.questions,
            embeddings=embeddings,
            root=Path(__file__).resolve().parents[1],
            verbose=args.verbose,
            engine=args.engine,
        )
        for name, figures in bank["sets"].items():
            print(
                f"{name:<10} {figures['qa_questions']:>4} questions  answer "
                f"{figures['qa_answer_hit']:.3f}  citation {figures['qa_citation_hit']}  "
                f"p50 {figures['qa_ms_p50']} ms"
            )
        for name, misses in bank.pop("misses", {}).items():
            for miss in misses:
                print(f"    {name} {miss}")
        emit(bank, as_json=args.json)
        return 0
    files = sorted(p for p in args.dataset.iterdir() if p.suffix in {".yaml", ".yml"})
    outcomes = [evaluate_scenario(path, embeddings, args.repeats, args.engine) for path in files]

    per_signal: dict[str, list[bool]] = defaultdict(list)
    for outcome in outcomes:
        wrong = [
            f"{key}: {got} (正解 {want})"
            for key, (got, want) in outcome["checks"].items()
            if got != want
        ]
        for key, (got, want) in outcome["checks"].items():
            per_signal[key].append(got == want)
        kpi_tp, kpi_found, kpi_expected = outcome["kpi"]
        print(
            f"{outcome['id']:<14} kpi {kpi_tp}/{kpi_found}/{kpi_expected}  "
            f"evidence {outcome['evidence'][0]}/{outcome['evidence'][1]}  "
            + ("OK" if not wrong else " | ".join(wrong))
        )
        if args.verbose:
            for miss in outcome["kpi_misses"]:
                print(f"    kpi {miss}")
            for miss in outcome["evidence_misses"]:
                print(f"    evidence {miss}")

    def accuracy(key: str) -> float:
        values = per_signal.get(key, [])
        return round(sum(values) / len(values), 3) if values else 0.0

    signal_keys = [*STATUS_SIGNALS, *PRESENCE_SIGNALS, "internal_factors"]
    all_signal_checks = [ok for key in signal_keys for ok in per_signal.get(key, [])]
    tp = fp = fn = 0
    for outcome in outcomes:
        if "factors" in outcome:
            got, want = outcome["factors"]
            tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    f1 = 1.0 if tp + fp + fn == 0 else round(2 * tp / (2 * tp + fp + fn), 3)
    kpi_tp = sum(o["kpi"][0] for o in outcomes)
    kpi_found = sum(o["kpi"][1] for o in outcomes)
    kpi_expected = sum(o["kpi"][2] for o in outcomes)
    cited = sum(o["evidence"][1] for o in outcomes)
    timings = [t for o in outcomes for t in o["timings"]]
    result = {
        "scenarios": len(outcomes),
        "decision_accuracy": accuracy("decision"),
        "phase_accuracy": accuracy("phase"),
        "signal_accuracy": {key: accuracy(key) for key in signal_keys},
        "signal_accuracy_overall": round(
            sum(all_signal_checks) / max(1, len(all_signal_checks)), 3
        ),
        "internal_factors_f1": f1,
        "kpi_precision": round(kpi_tp / kpi_found, 3) if kpi_found else 0.0,
        "kpi_recall": round(kpi_tp / kpi_expected, 3) if kpi_expected else 0.0,
        "evidence_precision": round(sum(o["evidence"][0] for o in outcomes) / cited, 3)
        if cited
        else 0.0,
        "analysis_ms_p50": round(statistics.median(timings), 1) if timings else 0.0,
        **summarize_drafts([o["drafts"] for o in outcomes]),
        **summarize_questions([o["chat"] for o in outcomes]),
    }
    if args.engine == "llm":
        result |= llm_fallbacks(outcomes)
    emit(result, as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
