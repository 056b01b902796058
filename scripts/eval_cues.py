"""Measure the signal cues sentence by sentence on a phrasebook (format: eval/phrasebook/README.md).

Every phrasebook sentence becomes a one-sentence document of its kind and goes through the
engine's own code: `sentences` (splitting, normalisation, author), the injection filter and
the engine's `SignalFinder` (the learned detectors plus the kept cues for the signals
engine.yaml lists in `detector_signals`, the cues alone for the others) with each signal's
cues and `unless` patterns. Reported per signal and polarity:
recall on the labelled sentences, the opposite polarity fired on them (status signals), and
the false-positive rate on the signal's neutral sentences. `--misses` lists the failures
(use it on the tuning file only); `--json` prints one JSON object as the last stdout line.

`--cue-report` instead measures every regex cue on its own over the given files (default:
the training, tune, train2, holdout2 and holdout3 phrasebooks; never holdout or holdout4):
how many sentences it fires on and how many of those carry its signal and polarity (and, for a factor cue, its type). A
sentence speaks only for the signal it is labelled under (its polarities and its neutral
hard negatives), so precision counts those; firing on another signal's sentences is shown
beside it (such a sentence may well carry this signal too: a careful handover names a 後任).
A cue is kept when its precision is at least 0.95 and it fires on more than one of its
signal's sentences (issue 11).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.analyse.cues import Sentence, is_injection, sentences
from app.analyse.detectors import SignalFinder, score_corpus
from app.core.cache import BoundedCache
from app.core.facts import Author, DocumentFacts, author_of
from app.knowledge import Knowledge, load_knowledge
from app.knowledge.rubric import Cue

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = ROOT / "eval" / "phrasebook" / "tune.yaml"
# What the cues are pruned on: the training phrasebooks, with holdout2/holdout3 (held out in
# sessions 18–19, training material since session 20); holdout.yaml and holdout4.yaml never.
REPORT_FILES = (
    ROOT.parent / "shared" / "phrasebook" / "train.yaml",
    DEFAULT_FILE,
    ROOT / "eval" / "phrasebook" / "train2.yaml",
    ROOT / "eval" / "phrasebook" / "holdout2.yaml",
    ROOT / "eval" / "phrasebook" / "holdout3.yaml",
)
KEEP_PRECISION = 0.95
KEEP_MIN_MATCHES = 2
VENDOR_NAME = "株式会社フレーズブック営業"
KINDS = ("vendor_report", "meeting_notes", "email")
NEUTRAL = "neutral"
OPPOSITE = {"good": "concern", "concern": "good"}


@dataclass(frozen=True)
class Item:
    signal: str
    label: str  # a polarity, or "neutral"
    kind: str
    author: Author
    text: str
    factor_type: str | None = None


@dataclass
class Tally:
    hit: int = 0
    n: int = 0

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "hit": self.hit,
            "n": self.n,
            "rate": round(self.hit / self.n, 3) if self.n else None,
        }


@dataclass
class SignalReport:
    recall: dict[str, Tally] = field(default_factory=dict)
    opposite: dict[str, Tally] = field(default_factory=dict)
    false_positive: dict[str, Tally] = field(default_factory=dict)
    neutral_any: Tally = field(default_factory=Tally)
    type_match: Tally = field(default_factory=Tally)
    misses: list[str] = field(default_factory=list)


def cue_groups(knowledge: Knowledge) -> dict[str, list[tuple[Sequence[Cue], Sequence[str]]]]:
    """Each signal's (cues, unless) pairs, grouped exactly as the engine calls `match_cues`."""
    spec = knowledge.signals
    groups: dict[str, list[tuple[Sequence[Cue], Sequence[str]]]] = {
        key: [(signal.cues, signal.unless)] for key, signal in spec.signals.items()
    }
    groups["stagnation"] = [(spec.stagnation.cues, spec.stagnation.unless)]
    groups["internal_factors"] = [
        (factor.cues, spec.internal_factors.unless)
        for factor in spec.internal_factors.types.values()
    ]
    return groups


def polarities(knowledge: Knowledge) -> dict[str, list[str]]:
    """The polarities each signal's cues can report, in a stable order."""
    order = ("good", "concern", "present")
    found: dict[str, list[str]] = {}
    for key, groups in cue_groups(knowledge).items():
        present = {cue.polarity for cues, _unless in groups for cue in cues}
        found[key] = [polarity for polarity in order if polarity in present]
    return found


def load_items(path: Path) -> list[Item]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("signals"), dict):
        raise SystemExit(f"{path}: expected a mapping with `signals`")
    items: list[Item] = []
    for signal, labels in cast(dict[str, dict[str, list[dict[str, str]]]], data["signals"]).items():
        for label, rows in labels.items():
            for row in rows:
                kind = row["kind"]
                if kind not in KINDS:
                    raise SystemExit(f"{path}: {signal}.{label}: unknown kind {kind!r}")
                if kind == "email" and row.get("author") not in ("vendor", "client"):
                    raise SystemExit(
                        f"{path}: {signal}.{label}: an email needs author vendor|client"
                    )
                author = cast(Author, row.get("author", "vendor"))
                items.append(Item(signal, label, kind, author, str(row["text"]), row.get("type")))
    return items


def corpus_of(item: Item, knowledge: Knowledge) -> list[tuple[Sentence, float]]:
    """The item as a one-document corpus, read exactly as the engine reads a document."""
    document = DocumentFacts(
        id=1,
        kind=item.kind,
        date=dt.date(2025, 6, 30),
        period="2025-06",
        title="phrasebook",
        text=item.text,
    )
    # Reports and notes get their side from the app; an email's side is given by the phrasebook.
    author = item.author if item.kind == "email" else author_of(document, VENDOR_NAME)
    return [
        (sentence, 1.0)
        for sentence in sentences(document, author)
        if not is_injection(sentence, knowledge.injection_regexes)
    ]


def fired(item: Item, knowledge: Knowledge) -> dict[str, dict[str, set[str]]]:
    """signal → polarity → the internal-factor types (or {signal}) that fired on the item.

    The engine's own finder: detectors plus kept cues for engine.yaml's `detector_signals`.
    """
    corpus = corpus_of(item, knowledge)
    finder = SignalFinder(
        corpus,
        score_corpus(corpus, knowledge),
        knowledge.engine.detector_signals,
        BoundedCache(4096),
        knowledge.signals.unless_good(),
    )
    result: dict[str, dict[str, set[str]]] = {}
    factor_keys = list(knowledge.signals.internal_factors.types)
    for signal, groups in cue_groups(knowledge).items():
        found: dict[str, set[str]] = {}
        for index, (cues, unless) in enumerate(groups):
            name = factor_keys[index] if signal == "internal_factors" else signal
            factor = name if signal == "internal_factors" else None
            for hit in finder(signal, cues, unless, factor):
                found.setdefault(hit.polarity, set()).add(name)
        result[signal] = found
    return result


def evaluate(items: Sequence[Item], knowledge: Knowledge) -> dict[str, SignalReport]:
    known = polarities(knowledge)
    reports = {signal: SignalReport() for signal in known}
    for item in items:
        if item.signal not in known:
            raise SystemExit(f"unknown signal in phrasebook: {item.signal}")
        if item.label != NEUTRAL and item.label not in known[item.signal]:
            raise SystemExit(f"{item.signal} has no polarity {item.label!r}")
        report = reports[item.signal]
        hits = fired(item, knowledge)[item.signal]
        if item.label == NEUTRAL:
            report.neutral_any.n += 1
            report.neutral_any.hit += bool(hits)
            for polarity in known[item.signal]:
                tally = report.false_positive.setdefault(polarity, Tally())
                tally.n += 1
                tally.hit += polarity in hits
            if hits:
                report.misses.append(f"FP {item.signal}/{sorted(hits)} [{item.kind}] {item.text}")
            continue
        tally = report.recall.setdefault(item.label, Tally())
        tally.n += 1
        tally.hit += item.label in hits
        if item.label not in hits:
            report.misses.append(f"MISS {item.signal}/{item.label} [{item.kind}] {item.text}")
        if item.label in OPPOSITE:
            opposite = report.opposite.setdefault(item.label, Tally())
            opposite.n += 1
            opposite.hit += OPPOSITE[item.label] in hits
            if OPPOSITE[item.label] in hits:
                report.misses.append(
                    f"OPPOSITE {item.signal}/{item.label} [{item.kind}] {item.text}"
                )
        if item.factor_type is not None:
            report.type_match.n += 1
            report.type_match.hit += item.factor_type in hits.get(item.label, set())
    return reports


def summary(path: str, knowledge: Knowledge, reports: dict[str, SignalReport]) -> dict[str, Any]:
    labelled = Tally()
    neutral = Tally()
    signals: dict[str, Any] = {}
    for signal, report in reports.items():
        for tally in report.recall.values():
            labelled.hit += tally.hit
            labelled.n += tally.n
        neutral.hit += report.neutral_any.hit
        neutral.n += report.neutral_any.n
        signals[signal] = {
            "recall": {key: tally.as_dict() for key, tally in report.recall.items()},
            "opposite": {key: tally.as_dict() for key, tally in report.opposite.items()},
            "false_positive": {
                key: tally.as_dict() for key, tally in report.false_positive.items()
            },
            "neutral_any": report.neutral_any.as_dict(),
        }
        if report.type_match.n:
            signals[signal]["type_match"] = report.type_match.as_dict()
    return {
        "file": path,
        "knowledge_version": knowledge.version,
        "signals": signals,
        "recall": labelled.as_dict(),
        "neutral_false_positive": neutral.as_dict(),
    }


@dataclass
class CueStat:
    """One regex cue measured alone: the sentences it fires on, and how many are right."""

    group: str  # the signal, or internal_factors.<type>
    polarity: str
    pattern: str
    matched: int = 0
    correct: int = 0
    elsewhere: int = 0  # fired on sentences labelled for another signal

    @property
    def precision(self) -> float | None:
        return self.correct / self.matched if self.matched else None

    @property
    def keep(self) -> bool:
        precision = self.precision
        return (
            self.matched >= KEEP_MIN_MATCHES
            and precision is not None
            and (precision >= KEEP_PRECISION)
        )


def _named_groups(knowledge: Knowledge) -> list[tuple[str, str, Sequence[Cue], Sequence[str]]]:
    """(signal, group name, cues, unless) in the order of `cue_groups`."""
    factor_keys = list(knowledge.signals.internal_factors.types)
    return [
        (
            signal,
            f"{signal}.{factor_keys[index]}" if signal == "internal_factors" else signal,
            *group,
        )
        for signal, groups in cue_groups(knowledge).items()
        for index, group in enumerate(groups)
    ]


def cue_report(items: Sequence[Item], knowledge: Knowledge) -> list[CueStat]:
    """Every cue alone on every item: fired when it matches a sentence of a side it reads
    and neither its own nor its signal's `unless` patterns block that sentence."""
    groups = _named_groups(knowledge)
    stats = [
        [CueStat(name, cue.polarity, cue.pattern) for cue in cues]
        for _signal, name, cues, _unless in groups
    ]
    blockers = [[re.compile(pattern) for pattern in unless] for *_rest, unless in groups]
    for item in items:
        corpus = [sentence for sentence, _weight in corpus_of(item, knowledge)]
        for (signal, name, cues, _unless), block, row in zip(groups, blockers, stats, strict=True):
            readable = [s for s in corpus if not any(b.search(s.normalized) for b in block)]
            for cue, stat in zip(cues, row, strict=True):
                if not any(
                    cue.author in ("any", s.author) and cue.matches(s.normalized) for s in readable
                ):
                    continue
                if item.signal != signal:
                    stat.elsewhere += 1
                    continue
                stat.matched += 1
                stat.correct += item.label == cue.polarity and (
                    signal != "internal_factors" or name.endswith(f".{item.factor_type}")
                )
    return [stat for row in stats for stat in row]


def print_cue_report(stats: Sequence[CueStat]) -> dict[str, Any]:
    """The cues to delete with their figures, then counts per group; returns the JSON."""
    print(f"{'group':<34}{'pol':<8}{'right/fired':<12}{'precision':<10}{'other':<6}pattern")
    for stat in stats:
        if not stat.keep:
            precision = "-" if stat.precision is None else f"{stat.precision:.2f}"
            print(
                f"{stat.group:<34}{stat.polarity:<8}{f'{stat.correct}/{stat.matched}':<12}"
                f"{precision:<10}{stat.elsewhere:<6}{stat.pattern[:70]}"
            )
    counts: dict[str, dict[str, int]] = {}
    for stat in stats:
        tally = counts.setdefault(stat.group, {"cues": 0, "kept": 0, "silent": 0, "single": 0})
        tally["cues"] += 1
        tally["kept"] += stat.keep
        tally["silent"] += stat.matched == 0
        tally["single"] += stat.matched == 1
    for group, tally in counts.items():
        print(f"{group:<34}kept {tally['kept']:>3} of {tally['cues']:>3}")
    kept = sum(stat.keep for stat in stats)
    print(f"kept {kept} of {len(stats)} cues (precision >= {KEEP_PRECISION}, > 1 sentence)")
    return {
        "cues": len(stats),
        "kept": kept,
        "groups": counts,
        "report": [
            {
                "group": stat.group,
                "polarity": stat.polarity,
                "pattern": stat.pattern,
                "matched": stat.matched,
                "correct": stat.correct,
                "elsewhere": stat.elsewhere,
                "keep": stat.keep,
            }
            for stat in stats
        ],
    }


def _rate(tally: Tally) -> str:
    return f"{tally.hit:>2}/{tally.n:<2} {tally.hit / tally.n:5.0%}" if tally.n else "   -      "


def print_table(reports: dict[str, SignalReport]) -> None:
    print(f"{'signal':<18}{'polarity':<9}{'recall':<13}{'opposite':<13}{'neutral FP':<13}")
    for signal, report in reports.items():
        for polarity, fp in report.false_positive.items() or {"-": Tally()}.items():
            recall = report.recall.get(polarity, Tally())
            opposite = report.opposite.get(polarity, Tally())
            print(
                f"{signal:<18}{polarity:<9}{_rate(recall):<13}{_rate(opposite):<13}{_rate(fp):<13}"
            )
        if report.type_match.n:
            print(f"{'':<18}{'type':<9}{_rate(report.type_match)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--file", type=Path, nargs="+", help="phrasebook YAML (several: their sentences together)"
    )
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--misses", action="store_true", help="list misses and false positives")
    parser.add_argument("--json", action="store_true", help="last stdout line: one JSON object")
    parser.add_argument(
        "--cue-report",
        action="store_true",
        help="precision of every regex cue alone (default files: train + tune + train2 phrasebooks)",
    )
    args = parser.parse_args(argv)

    knowledge = load_knowledge(args.knowledge)
    files: list[Path] = args.file or list(REPORT_FILES if args.cue_report else [DEFAULT_FILE])
    items = [item for path in files for item in load_items(path)]
    if args.cue_report:
        cue_figures = print_cue_report(cue_report(items, knowledge))
        if args.json:
            files_seen = [str(path) for path in files]
            print(json.dumps({"files": files_seen, **cue_figures}, ensure_ascii=False))
        return 0
    reports = evaluate(items, knowledge)
    print_table(reports)
    if args.misses:
        for report in reports.values():
            for line in report.misses:
                print(line)
    result = summary(", ".join(str(path) for path in files), knowledge, reports)
    print(
        f"overall recall {_rate(Tally(result['recall']['hit'], result['recall']['n']))}, "
        f"neutral FP {_rate(Tally(result['neutral_false_positive']['hit'], result['neutral_false_positive']['n']))}"
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
