"""The knowledge registry: every knowledge and prompt file validated at start-up, one version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.errors import ConfigError
from app.knowledge import load_knowledge
from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def copies(tmp_path: Path) -> tuple[Path, Path]:
    knowledge = tmp_path / "knowledge"
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "knowledge", knowledge)
    shutil.copytree(ROOT / "prompts", prompts)
    return knowledge, prompts


def _break(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("relative", "old", "new", "field"),
    [
        ("knowledge/signals.yaml", "version: 1", "version: one", "version"),
        ("knowledge/engine.yaml", "version:", "versions:", "version"),
        ("knowledge/kpi.yaml", "version:", "versions:", "version"),
        ("knowledge/chat.yaml", "version:", "versions:", "version"),
        ("knowledge/vocabulary.yaml", "  email: メール\n", "", "document_kinds"),
        ("prompts/analysis_signal.yaml", "variables:", "variable:", "variable"),
        ("prompts/drafts/drafts.yaml", "version:", "versions:", "version"),
    ],
)
def test_a_broken_file_stops_start_up_naming_file_and_field(
    copies: tuple[Path, Path], tmp_path: Path, relative: str, old: str, new: str, field: str
) -> None:
    knowledge, prompts = copies
    path = tmp_path / relative
    _break(path, old, new)
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=knowledge, prompts_dir=prompts)
    with pytest.raises(ConfigError) as raised:
        create_app(settings)
    assert path.name in raised.value.message
    assert field in raised.value.message
    assert not (tmp_path / "data").exists()  # nothing was connected or created first


@pytest.mark.parametrize(
    "relative",
    [
        "knowledge/signals.yaml",
        "knowledge/chat.yaml",
        "knowledge/vocabulary.yaml",
        "prompts/chat_answer.yaml",
        "prompts/drafts/memo.md.j2",
    ],
)
def test_the_version_covers_every_knowledge_and_prompt_file(
    copies: tuple[Path, Path], tmp_path: Path, relative: str
) -> None:
    knowledge, prompts = copies
    before = load_knowledge(knowledge, prompts).version
    path = tmp_path / relative
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert load_knowledge(knowledge, prompts).version != before


def test_the_vocabulary_labels_come_from_the_data() -> None:
    knowledge = load_knowledge(ROOT / "knowledge", ROOT / "prompts")
    vocabulary = knowledge.vocabulary
    assert vocabulary.document_kind_label("meeting_notes") == "議事録"
    assert vocabulary.signal_label("proactivity") == knowledge.signals.signals["proactivity"].label
    assert vocabulary.draft_kind_label("memo") == knowledge.drafts.kinds["memo"].label
