"""Evaluate the KPI reader on a labelled corpus (eval/kpi/*.yaml; format in eval/kpi/README.md).

Each item is one text (or one small sheet, rendered as the spreadsheet import renders it) with
the values it states. A found value is correct when an expected one has the same key, period
and value. `--json` prints one JSON object as the last stdout line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.analyse.kpi import extract_kpis
from app.knowledge import DEFAULT_KNOWLEDGE_DIR
from app.knowledge.kpi import KpiKnowledge, load_kpi_knowledge
from scripts.bench_common import emit

Fact = tuple[str, str | None, float]  # key, period, value
SheetRenderer = Callable[[str, list[list[Any]]], str]


def sheet_renderer() -> SheetRenderer | None:
    """The spreadsheet import's renderer, when it exists (written by the import feature)."""
    try:
        module = importlib.import_module("app.ingest.spreadsheet")
    except ImportError:
        return None
    renderer: SheetRenderer | None = getattr(module, "rows_to_markdown", None)
    return renderer


def item_text(item: dict[str, Any], render: SheetRenderer | None) -> str | None:
    """The item's text; a `sheet` item rendered like an imported spreadsheet, or None."""
    if item.get("format") != "sheet":
        return str(item.get("text") or "")
    if render is None:
        return None
    cells = item.get("cells") or []
    if isinstance(cells, dict):  # several sheets: {name: rows}
        return "\n\n".join(render(str(name), rows) for name, rows in cells.items())
    name = item.get("sheet_name") or item.get("sheet") or item.get("title") or "Sheet1"
    return render(str(name), cells)


def items_of(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("items", []) if isinstance(data, dict) else data
    return [item for item in items or [] if isinstance(item, dict)]


def same(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


def score(found: Iterable[Fact], expected: Iterable[Fact]) -> tuple[int, int, int, list[str]]:
    """True positives, found, expected, and a line per miss or extra."""
    found_list, expected_list = list(found), list(expected)
    remaining = list(expected_list)
    true_positive = 0
    misses: list[str] = []
    for key, period, value in found_list:
        match = next(
            (e for e in remaining if e[0] == key and e[1] == period and same(e[2], value)), None
        )
        if match is not None:
            remaining.remove(match)
            true_positive += 1
        else:
            misses.append(f"extra {key} {period} {value:g}")
    misses += [f"missing {key} {period} {value:g}" for key, period, value in remaining]
    return true_positive, len(found_list), len(expected_list), misses


def ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 3) if denominator else 1.0


def evaluate(path: Path, knowledge: KpiKnowledge, *, verbose: bool) -> dict[str, Any]:
    render = sheet_renderer()
    totals: dict[str, dict[str, list[int]]] = {"format": {}, "stage": {}}
    overall = [0, 0, 0]
    skipped: list[str] = []
    timings: list[float] = []
    for item in items_of(path):
        text = item_text(item, render)
        if text is None:
            skipped.append(str(item.get("id")))
            continue
        period = item.get("period")
        period = str(period) if period else None
        started = time.perf_counter()
        mentions = extract_kpis(text, period=period, knowledge=knowledge)
        timings.append((time.perf_counter() - started) * 1000)
        # Readers before per-figure periods gave every value the document's period.
        found = [(m.key, getattr(m, "period", period), m.value) for m in mentions]
        expected = [
            (
                str(e["key"]),
                str(e.get("period") or period) if (e.get("period") or period) else None,
                float(e["value"]),
            )
            for e in item.get("expect") or []
        ]
        tp, nf, ne, misses = score(found, expected)
        for total in (
            overall,
            totals["format"].setdefault(str(item.get("format")), [0, 0, 0]),
            totals["stage"].setdefault(str(item.get("stage")), [0, 0, 0]),
        ):
            total[0] += tp
            total[1] += nf
            total[2] += ne
        if verbose and misses:
            print(
                f"{item.get('id')} [{item.get('format')}/{item.get('stage')}]: " + "; ".join(misses)
            )

    def figures(total: list[int]) -> dict[str, float | int]:
        return {
            "precision": ratio(total[0], total[1]),
            "recall": ratio(total[0], total[2]),
            "expected": total[2],
        }

    result: dict[str, Any] = {
        "file": str(path),
        **figures(overall),
        "by_format": {k: figures(v) for k, v in sorted(totals["format"].items())},
        "by_stage": {k: figures(v) for k, v in sorted(totals["stage"].items())},
        "items": len(timings),
        "ms_max": round(max(timings), 2) if timings else 0.0,
    }
    if skipped:
        result["skipped_sheet_items"] = len(skipped)
        result["note"] = "sheet items skipped: app.ingest.spreadsheet.rows_to_markdown is missing"
    return result


def speed(
    path: Path, knowledge: KpiKnowledge, *, size: int = 2000, repeats: int = 20
) -> dict[str, float]:
    """Milliseconds to read 2,000-character reports made of the corpus's own texts.

    `ms_per_2000_chars`: median wall time of the first 2,000 characters read `repeats` times
    (the figure reported since the reader was written); `cpu_ms_per_2000_chars`: its CPU time,
    which other processes on a shared machine do not inflate; `first_read_cpu_ms_per_2000_chars`:
    mean CPU time over every 2,000-character window of the corpus read once each, so the
    figures in cells are new to the caches as in a new report.
    """
    texts = [str(item.get("text") or "") for item in items_of(path)]
    corpus = "\n\n".join(texts)
    report = corpus[:size]
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        extract_kpis(report, period="2026-03", knowledge=knowledge)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    windows = [corpus[at : at + size] for at in range(size, len(corpus) - size + 1, size)]
    started_cpu = time.process_time()
    for window in windows:
        extract_kpis(window, period="2026-03", knowledge=knowledge)
    first_read = (time.process_time() - started_cpu) * 1000 / max(1, len(windows))
    return {
        "ms_per_2000_chars": round(sorted(wall)[len(wall) // 2], 2),
        "cpu_ms_per_2000_chars": round(sorted(cpu)[len(cpu) // 2], 2),
        "first_read_cpu_ms_per_2000_chars": round(first_read, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_KNOWLEDGE_DIR / "kpi.yaml")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print each item's misses")
    args = parser.parse_args()
    knowledge = load_kpi_knowledge(args.knowledge)
    extract_kpis("", period=None, knowledge=knowledge)  # compile the lexicon once, untimed
    result = evaluate(args.file, knowledge, verbose=args.verbose)
    result.update(speed(args.file, knowledge))
    emit(result, as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
