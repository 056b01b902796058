"""`scripts/evaluate.py --engine llm` against the recording OpenAI-compatible test server.

The same figures as offline, through the LLM-assisted path (signals, drafts, chat), plus how
often each part fell back to the offline result; without LLM settings it refuses clearly.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from scripts import evaluate
from tests.fake_llm import FakeLLM, Reply

SENTENCE = "4月1日付で弊社の担当を架空次郎に交代いたします。"
QUESTION = "担当者が交代したのはいつですか？"


def _scenario(folder: Path) -> Path:
    """A one-document engagement with one labelled question (invented names)."""
    folder.mkdir(parents=True, exist_ok=True)
    scenario = {
        "id": "llm01",
        "vendor": {"name": "株式会社テスト架空セールス"},
        "engagement": {
            "service": "インサイドセールス代行",
            "start_date": dt.date(2030, 10, 1),
            "renewal_date": dt.date(2031, 9, 30),
            "notice_days": 60,
            "monthly_fee_jpy": 500000,
            "kpi_targets": {"appointments": 20},
        },
        "documents": [
            {
                "id": "llm01-d01",
                "kind": "email",
                "date": dt.date(2031, 3, 20),
                "period": None,
                "title": "担当交代のご連絡",
                "text": SENTENCE,
            }
        ],
        "labels": {
            "as_of": dt.date(2031, 4, 10),
            "decision": "renew",
            "questions": [
                {"q": QUESTION, "answer_contains": ["4月1日"], "evidence": ["llm01-d01"]}
            ],
        },
    }
    path = folder / "llm01.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    with FakeLLM(model="fake-model") as server:
        monkeypatch.setenv("RENEWAL_DESK_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("RENEWAL_DESK_LLM_MODEL", server.model)
        monkeypatch.setenv("RENEWAL_DESK_LLM_MAX_RETRIES", "0")
        monkeypatch.setenv("RENEWAL_DESK_LLM_TIMEOUT_S", "5")
        yield server


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, dict[str, object], str]:
    monkeypatch.setattr(sys, "argv", ["evaluate.py", *args])
    code = evaluate.main()
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return code, (json.loads(lines[-1]) if lines else {}), err


def test_without_llm_settings_it_says_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("RENEWAL_DESK_LLM_BASE_URL", "RENEWAL_DESK_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    _scenario(tmp_path / "set")
    code, figures, err = _run(
        monkeypatch, capsys, "--dataset", str(tmp_path / "set"), "--engine", "llm", "--json"
    )
    assert code == 2 and not figures
    assert "RENEWAL_DESK_LLM_BASE_URL" in err and "RENEWAL_DESK_LLM_MODEL" in err


def test_a_failing_model_falls_back_everywhere_and_says_how_often(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake: FakeLLM,
) -> None:
    """Every call gets an HTTP error (nothing scripted): the offline results, rate 1.0."""
    _scenario(tmp_path / "set")
    code, figures, _ = _run(
        monkeypatch,
        capsys,
        "--dataset",
        str(tmp_path / "set"),
        "--engine",
        "llm",
        "--repeats",
        "1",
        "--json",
    )
    assert code == 0
    assert figures["engine"] == "llm"
    assert figures["signals_llm_fallback_rate"] == 1.0
    assert figures["drafts_llm_fallback_rate"] == 1.0
    assert figures["chat_llm_fallback_rate"] == 1.0
    # The same figures as the offline engine, from the offline results kept.
    assert figures["qa_questions"] == 1 and figures["qa_answer_hit"] == 1.0
    assert "decision_accuracy" in figures and "drafts_citation_validity" in figures
    # Every part really went to the model: the signal judge, the draft prose, the chat.
    sent = "\n".join(r.message_text("user") for r in fake.chat_requests)
    assert QUESTION in sent
    assert len(fake.chat_requests) >= 3 + 1


def test_a_verified_chat_answer_counts_as_the_llm_s(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake: FakeLLM,
) -> None:
    """A question bank runs only the chat: one verified reply, no fallback."""
    scenario = _scenario(tmp_path / "set")
    bank = tmp_path / "bank.yaml"
    bank.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "questions": [
                    {
                        "scenario": str(scenario),
                        "q": QUESTION,
                        "type": "when",
                        "answer_contains": ["4月1日"],
                        "evidence": ["llm01-d01"],
                    }
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    quote = SENTENCE.rstrip("。")
    fake.enqueue(Reply.text(f"交代は2031年4月1日付です[P1]。\n---\n[P1] 「{quote}」"))
    code, figures, _ = _run(
        monkeypatch, capsys, "--questions", str(bank), "--engine", "llm", "--json"
    )
    assert code == 0
    assert figures["chat_llm_fallback_rate"] == 0.0
    assert figures["qa_answer_hit"] == 1.0 and figures["qa_citation_hit"] == 1.0
    assert not fake.unscripted and QUESTION in fake.last_request.message_text("user")
