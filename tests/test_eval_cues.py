"""The cue phrasebook script runs on the real knowledge and reports every signal.

Loose invariants only: the scores themselves are measured, not pinned.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import eval_cues

ROOT = Path(__file__).resolve().parent.parent
SIGNALS = {
    "proactivity",
    "communication",
    "dependency",
    "personnel_change",
    "expectation_gap",
    "stagnation",
    "internal_factors",
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert eval_cues.main(["--json", *args]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert isinstance(result, dict)
    return result


@pytest.mark.parametrize("name", ["tune.yaml", "holdout.yaml"])
def test_reports_every_signal_and_polarity(capsys: pytest.CaptureFixture[str], name: str) -> None:
    result = run(capsys, "--file", str(ROOT / "eval" / "phrasebook" / name))
    signals = result["signals"]
    assert isinstance(signals, dict)
    assert set(signals) == SIGNALS
    for key in ("proactivity", "communication", "dependency"):
        assert set(signals[key]["recall"]) == {"good", "concern"}
    for key in SIGNALS - {"proactivity", "communication", "dependency"}:
        assert set(signals[key]["recall"]) == {"present"}
    for report in signals.values():
        assert report["neutral_any"]["n"] > 0
        for tally in [*report["recall"].values(), *report["false_positive"].values()]:
            assert 0 <= tally["hit"] <= tally["n"]
            assert tally["n"] > 0


def test_uses_the_engine_matching(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A sentence the cues plainly catch counts as a hit; a bare KPI line triggers nothing."""
    book = tmp_path / "book.yaml"
    book.write_text(
        "version: 1\n"
        "signals:\n"
        "  expectation_gap:\n"
        "    present:\n"
        "      - {kind: meeting_notes, text: 言った言わないの議論になった。}\n"
        "    neutral:\n"
        "      - {kind: vendor_report, text: 今月の架電数は1000件でした。}\n",
        encoding="utf-8",
    )
    result = run(capsys, "--file", str(book))
    gap = result["signals"]["expectation_gap"]  # type: ignore[index]
    assert gap["recall"]["present"] == {"hit": 1, "n": 1, "rate": 1.0}
    assert gap["false_positive"]["present"]["hit"] == 0


def test_email_needs_a_side(tmp_path: Path) -> None:
    book = tmp_path / "book.yaml"
    book.write_text(
        "version: 1\nsignals:\n  stagnation:\n    present:\n"
        "      - {kind: email, text: 成果が横ばいです。}\n",
        encoding="utf-8",
    )
    with pytest.raises(SystemExit):
        eval_cues.main(["--file", str(book)])


def test_cue_report_keeps_only_precise_cues(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Each cue alone: precision over its signal's sentences, and more than one sentence."""
    rows = "      - {kind: meeting_notes, text: 成果の数え方について認識のズレがあった。}\n"
    neutral = "      - {kind: meeting_notes, text: 認識のズレが生じないよう定例で確認している。}\n"
    book = tmp_path / "book.yaml"
    book.write_text(
        "version: 1\nsignals:\n  expectation_gap:\n    present:\n" + rows * 2,
        encoding="utf-8",
    )

    def gap(result: dict[str, object]) -> dict[str, object]:
        report = result["report"]
        assert isinstance(report, list)
        return next(row for row in report if row["pattern"].startswith("(認識|理解)(の"))

    precise = gap(run(capsys, "--cue-report", "--file", str(book)))
    assert (precise["matched"], precise["correct"], precise["keep"]) == (2, 2, True)
    book.write_text(book.read_text(encoding="utf-8") + "    neutral:\n" + neutral, encoding="utf-8")
    loose = gap(run(capsys, "--cue-report", "--file", str(book)))
    assert (loose["matched"], loose["correct"], loose["keep"]) == (3, 2, False)
