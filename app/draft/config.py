"""Draft settings as data: prompts/drafts/drafts.yaml (timing, sections, questions, proposals).

Kept beside the offline templates so that wording and rules change as reviewed text, and so
that every stored draft can name the exact template set that produced it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.errors import RenewalDeskError

DraftKind = Literal["agenda", "memo", "proposal_request"]
DRAFT_KINDS: tuple[DraftKind, ...] = ("agenda", "memo", "proposal_request")
ProposalKey = Literal["insight", "joint_planning", "capability", "technology"]
DueAnchor = Literal["review_start", "review_end", "notice_deadline"]


class DraftConfigError(RenewalDeskError):
    """The draft configuration or a template is broken (a deployment error, not user input)."""

    status_code = 500
    code = "draft_config_error"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Timing(_Strict):
    review_start_days: int = Field(ge=1)
    review_end_days: int = Field(ge=0)
    notice_soon_days: int = Field(ge=1)
    reply_lead_days: int = Field(ge=0)
    reply_min_days: int = Field(ge=1)


class Slot(_Strict):
    """A prose passage the LLM may write instead of the offline wording."""

    key: str
    title: str
    instruction: str


class KindSpec(_Strict):
    label: str
    template: str
    required_sections: list[str] = Field(min_length=1)
    slots: list[Slot] = []


class AgendaBlock(_Strict):
    key: Literal["goals", "issues", "communication"]
    title: str
    minutes: int = Field(ge=1)
    checklist: list[str] = Field(min_length=1)


class AgendaSpec(_Strict):
    opening_minutes: int = Field(ge=0)
    carryover_minutes: int = Field(ge=0)
    questions_minutes: int = Field(ge=0)
    decision_minutes: int = Field(ge=0)
    blocks: list[AgendaBlock] = Field(min_length=3, max_length=3)


class Questions(_Strict):
    kpi_below_target: str
    kpi_on_target: str
    proactivity_good: str
    proactivity_concern: str
    communication_concern: str
    dependency_concern: str
    personnel_change: str
    expectation_gap: str
    stagnation: str
    internal_factor: str
    funnel_leak: str


class NonRenewalChecks(_Strict):
    low_achievement: str
    proactivity_concern: str
    unexplained_by_internal: str
    communication_concern: str
    high_dependency: str
    repeated_personnel_changes: str


class ProposalSpec(_Strict):
    title: str
    description: str
    asks: list[str] = Field(min_length=1)


class DocxSpec(_Strict):
    font_latin: str
    font_east_asian: str
    font_size_pt: float = Field(gt=5, le=20)


class DraftConfig(_Strict):
    version: int
    timing: Timing
    kinds: dict[DraftKind, KindSpec]
    agenda: AgendaSpec
    questions: Questions
    non_renewal_checks: NonRenewalChecks
    condition_due: dict[str, DueAnchor]
    proposals: dict[ProposalKey, ProposalSpec]
    docx: DocxSpec
    templates_version: str = ""

    def kind(self, kind: DraftKind) -> KindSpec:
        return self.kinds[kind]


def drafts_dir(prompts_dir: Path) -> Path:
    return prompts_dir / "drafts"


def _templates_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*")):
        if path.is_file() and (path.suffix == ".yaml" or path.name.endswith(".md.j2")):
            digest.update(path.name.encode("utf-8"))
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=8)
def _load(directory: Path, stamp: tuple[tuple[str, float], ...]) -> DraftConfig:
    path = directory / "drafts.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise DraftConfigError(f"下書きの設定ファイルがありません: {path}") from error
    except yaml.YAMLError as error:
        raise DraftConfigError(f"{path.name}: YAML として読めません（{error}）") from error
    try:
        config = DraftConfig.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise DraftConfigError(f"{path.name}: 項目 {field} が不正です（{first['msg']}）") from error
    for kind in DRAFT_KINDS:
        if kind not in config.kinds:
            raise DraftConfigError(f"{path.name}: kinds.{kind} がありません")
        if not (directory / config.kinds[kind].template).is_file():
            raise DraftConfigError(f"テンプレートがありません: {config.kinds[kind].template}")
    version = f"drafts{config.version}-{_templates_digest(directory)}"
    return config.model_copy(update={"templates_version": version})


def load_draft_config(prompts_dir: Path) -> DraftConfig:
    """Validated config; re-read only when a file in prompts/drafts/ changed."""
    directory = drafts_dir(prompts_dir).resolve()
    stamp = tuple(
        (path.name, path.stat().st_mtime) for path in sorted(directory.glob("*")) if path.is_file()
    )
    return _load(directory, stamp)
