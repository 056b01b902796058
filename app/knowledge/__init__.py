"""The knowledge registry: every file in knowledge/ and prompts/, loaded and validated once.

The app factory calls `load_knowledge` at start-up, so a broken file stops the app naming the
file and the field; `Knowledge.version` hashes every one of those files and is recorded with
every analysis and draft.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from app.core.vocabulary import DOCUMENT_KINDS, Vocabulary
from app.errors import ConfigError
from app.knowledge.chat import (
    CHAT_KNOWLEDGE_FILE,
    WORDING_FILE,
    ChatKnowledge,
    WordingFile,
    load_chat_knowledge,
    load_wording_file,
)
from app.knowledge.drafts import DraftConfig, load_draft_config
from app.knowledge.files import validate_file
from app.knowledge.kpi import (
    KPI_SYNONYMS_OVERLAY,
    KpiKnowledge,
    SynonymOverlay,
    load_kpi_knowledge,
    with_synonyms,
)
from app.knowledge.prompts import DEFAULT_PROMPTS_DIR, PromptRegistry, load_prompts
from app.knowledge.rubric import DetectorModel, EngineFile, SignalsFile, load_detectors

DEFAULT_KNOWLEDGE_DIR = DEFAULT_PROMPTS_DIR.parent / "knowledge"


class VocabularyFile(BaseModel):
    """knowledge/vocabulary.yaml: labels of the document kinds."""

    model_config = ConfigDict(extra="forbid")
    version: int
    document_kinds: dict[str, str]


@dataclass(frozen=True)
class Knowledge:
    """Everything the app knows as data, plus one version over all of it."""

    signals: SignalsFile
    engine: EngineFile
    kpi: KpiKnowledge
    chat: ChatKnowledge
    drafts: DraftConfig
    prompts: PromptRegistry
    vocabulary: Vocabulary
    version: str
    # The learned sentence detectors (knowledge/detectors/), hashed into `version` with the rest.
    detectors: DetectorModel
    # knowledge/chat_wording.yaml (synonyms, free-worded judgments); None when absent.
    chat_wording: WordingFile | None = None

    @cached_property
    def injection_regexes(self) -> list[re.Pattern[str]]:
        """Sentences that look like instructions to a model (documents are data)."""
        return [re.compile(pattern) for pattern in self.engine.injection_patterns]


def _digest(*directories: Path) -> str:
    """One hash over every file under the given folders, names included."""
    digest = hashlib.sha256()
    for directory in directories:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            if "__pycache__" in path.parts or path.name.startswith("."):
                continue
            digest.update(path.relative_to(directory).as_posix().encode("utf-8"))
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _vocabulary(directory: Path, signals: SignalsFile, drafts: DraftConfig) -> Vocabulary:
    path = directory / "vocabulary.yaml"
    data = validate_file(VocabularyFile, path)
    missing = [kind for kind in DOCUMENT_KINDS if kind not in data.document_kinds]
    if missing:
        raise ConfigError(
            f"{path.name}: 項目 document_kinds に {', '.join(missing)} がありません",
            path=path,
            field_name="document_kinds",
        )
    signal_labels: dict[str, str] = {key: spec.label for key, spec in signals.signals.items()}
    signal_labels["stagnation"] = signals.stagnation.label
    signal_labels["internal_factors"] = signals.internal_factors.label
    return Vocabulary(
        signals=signal_labels,
        document_kinds=dict(data.document_kinds),
        draft_kinds={kind: spec.label for kind, spec in drafts.kinds.items()},
    )


def load_knowledge(
    directory: Path, prompts_dir: Path | None = None, overlay_dir: Path | None = None
) -> Knowledge:
    """Load and validate every knowledge and prompt file; called by the app factory.

    `overlay_dir` (<data_dir>/knowledge) holds what users added, such as the KPI labels they
    mapped (kpi_synonyms.yaml); it is merged in and hashed into the version when present.
    """
    prompts_dir = prompts_dir or DEFAULT_PROMPTS_DIR
    kpi = load_kpi_knowledge(directory / "kpi.yaml")
    overlay_file = overlay_dir / KPI_SYNONYMS_OVERLAY if overlay_dir is not None else None
    digest_dirs = [directory, prompts_dir]
    if overlay_file is not None and overlay_file.is_file():
        try:
            kpi = with_synonyms(kpi, validate_file(SynonymOverlay, overlay_file))
        except ValueError as error:
            raise ConfigError(str(error), path=overlay_file, field_name="synonyms") from error
        digest_dirs.append(overlay_file.parent)
    signals = validate_file(SignalsFile, directory / "signals.yaml")
    engine = validate_file(EngineFile, directory / "engine.yaml")
    drafts = load_draft_config(prompts_dir, directory)
    return Knowledge(
        signals=signals,
        engine=engine,
        kpi=kpi,
        chat=load_chat_knowledge(directory / CHAT_KNOWLEDGE_FILE),
        drafts=drafts,
        prompts=load_prompts(prompts_dir),
        vocabulary=_vocabulary(directory, signals, drafts),
        version=f"k{signals.version}.{engine.version}-{_digest(*digest_dirs)}",
        detectors=load_detectors(directory / "detectors"),
        chat_wording=load_wording_file(directory / WORDING_FILE),
    )
