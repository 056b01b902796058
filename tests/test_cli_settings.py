"""The console script and the settings it reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.cli import main
from app.settings import Settings

DEMO = Path(__file__).resolve().parents[1] / "demo"


def test_import_is_idempotent_and_searchable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RENEWAL_DESK_DATA_DIR", str(tmp_path / "data"))
    scenario = sorted(DEMO.glob("*.yaml"))[-1]
    assert main(["import", str(scenario)]) == 0
    first = capsys.readouterr().out
    assert "1 engagement(s)" in first and "0 already stored" in first
    assert main(["import", str(scenario)]) == 0
    second = capsys.readouterr().out
    assert " 0 new document(s)" in second
    assert main(["search", "アポ", "-k", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all("doc " in line for line in lines)
    assert main(["reindex"]) == 0
    assert '"chunks"' in capsys.readouterr().out


def test_import_of_missing_path_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RENEWAL_DESK_DATA_DIR", str(tmp_path / "data"))
    assert main(["import", str(tmp_path / "missing.yaml")]) == 2
    assert "見つかりません" in capsys.readouterr().err


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RENEWAL_DESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RENEWAL_DESK_BM25_WEIGHT", "0.5")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.bm25_weight == 0.5
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert not settings.llm_enabled


def test_half_configured_remote_services_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENEWAL_DESK_EMBEDDING_MODE", "openai")
    with pytest.raises(ValidationError, match="EMBEDDING_BASE_URL"):
        Settings()
    monkeypatch.delenv("RENEWAL_DESK_EMBEDDING_MODE")
    monkeypatch.setenv("RENEWAL_DESK_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(ValidationError, match="LLM_MODEL"):
        Settings()
