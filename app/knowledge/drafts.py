"""Draft settings as data: prompts/drafts/drafts.yaml (timing, sections, questions, proposals).

Kept beside the offline templates so that wording and rules change as reviewed text, and so
that every stored draft can name the exact template set that produced it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.vocabulary import DRAFT_KINDS, DocumentKind, DraftKind
from app.errors import ConfigError
from app.knowledge.files import validate_file

AUDIENCE_FILE = "drafts_audience.yaml"
DEFAULT_AUDIENCE_FILE = Path(__file__).resolve().parents[2] / "knowledge" / AUDIENCE_FILE
ProposalKey = Literal["insight", "joint_planning", "capability", "technology"]
DueAnchor = Literal["review_start", "review_end", "notice_deadline"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Timing(_Strict):
    review_start_days: int = Field(ge=1)
    review_end_days: int = Field(ge=0)
    notice_soon_days: int = Field(ge=1)
    reply_lead_days: int = Field(ge=0)
    # Reply-by and proposed dates are business days (weekends and Japanese holidays skipped).
    reply_min_business_days: int = Field(ge=1)
    meeting_lead_business_days: int = Field(ge=1)
    meeting_candidates: int = Field(ge=1, le=5)
    # Business days between the reply-by date and the first meeting candidate (reading time).
    reply_reading_business_days: int = Field(default=3, ge=0)


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
    kpi_above_target: str = ""  # the average at or above the target itself
    kpi_near_target: str  # at or above the renewal threshold, but under 100%
    proactivity_good: str
    proactivity_concern: str
    communication_concern: str
    dependency_concern: str
    personnel_change: str
    expectation_gap: str
    stagnation: str
    internal_factor: str
    funnel_leak: str
    funnel_leak_shared: str  # for the vendor: no figures from our own minutes
    # the same, naming the stage furthest from its target in the last month ({stage}, {spoken},
    # {target}), when the vendor's figures show it
    funnel_leak_stage: str = ""
    # When the vendor's own report already gives the reason for a missed month: the next
    # question (its measures, their effect), not the cause again.
    kpi_below_target_explained: str = ""
    kpi_near_target_explained: str = ""
    funnel_leak_explained: str = ""
    # The main KPI grew month by month (on an agreed ramp-up): judged by the trend, not the
    # flat average; `_met` once its latest month is at the target's level.
    kpi_rising: str = ""
    kpi_rising_met: str = ""
    personnel_change_explained: str = ""
    proactivity_good_reported: str = ""  # the vendor already reported its measures' effect  # the vendor's documents already explain the handover


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
    # A vendor proposal or open item matching this (regular expression) is one the letter
    # acknowledges and asks to develop, rather than requesting it as new.
    matches: str = ""
    # A sentence of any document saying this is already in place (「訪問記録は…顧客管理システムに
    # 入力済み」): the letter does not ask for it again.
    in_place: str = ""


Audience = Literal["internal", "external"]


class ExternalSources(_Strict):
    document_kinds: list[DocumentKind] = Field(min_length=1)
    authors: list[Literal["vendor", "client"]] = Field(min_length=1)


class VendorText(_Strict):
    proposal_headings: list[str] = Field(min_length=1)
    proposal_sentences: list[str] = Field(min_length=1)
    requests_to_client: list[str] = Field(min_length=1)
    shared_client_items: str
    internal_client_items: str
    # A sentence of the vendor's report that gives a reason for a figure (regular expressions).
    cause_sentences: list[str] = []
    # The vendor's words for itself and for us: a quote in our letter swaps them (〔貴社〕).
    vendor_self_words: list[str] = []
    vendor_client_words: list[str] = []
    # A vendor sentence that reports an effect of its own work (the thanks name it).
    result_sentences: list[str] = []
    # A month at or above this share of its target is at the target's level, not a miss.
    met_tolerance: float = Field(default=1.0, gt=0, le=1)
    # A ramp-up plan stated before or during the start (a cue here, and 見込/計画 and a figure).
    plan_sentences: list[str] = []
    # Our own minutes judging the period as on track (a rule input, never quoted outside).
    on_track_sentences: list[str] = []
    # Polite sentence endings of a vendor quote and their plain form, so a proposal can be
    # listed as a paraphrase (pronouns plain, no 〔〕) instead of a quote: [pattern, plain].
    plain_endings: list[tuple[str, str]] = []
    # the same for the vendor's humble acts inside a labelled item 「label：what」 we list
    listed_endings: list[tuple[str, str]] = []
    handover_explained: str = ""


class AudienceSpec(_Strict):
    """knowledge/drafts_audience.yaml: who reads each kind, what an external draft may cite."""

    version: int
    kinds: dict[DraftKind, Audience]
    external_sources: ExternalSources
    references: dict[DocumentKind, str]
    internal_terms: list[str]
    vendor_text: VendorText

    def of(self, kind: DraftKind) -> Audience:
        return self.kinds.get(kind, "internal")

    @field_validator("internal_terms")
    @classmethod
    def _compiles(cls, terms: list[str]) -> list[str]:
        for term in terms:
            re.compile(term)
        return terms


class DocxSpec(_Strict):
    font_latin: str
    font_east_asian: str
    font_size_pt: float = Field(gt=5, le=20)


class CheckTopic(_Strict):
    """A topic an open 自社要因 check asks about, and how a document speaks of it."""

    label: str  # 季節要因
    pattern: str  # 繁忙期|閑散期|…


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
    # What a status signal means, as a colleague says it (signal key → status → sentence);
    # the engine's 「依存度（丸投げ）は良好です」 reads oddly in a memo.
    signal_wording: dict[str, dict[str, str]] = {}
    # What can be done by a condition's deadline when the whole condition cannot (engine
    # condition key → the part due by then).
    condition_by_deadline: dict[str, str] = {}
    # An open 自社要因 check (the analysis's wording) → the topics a document may already
    # answer it with: the memo cites those and leaves only the real unknowns open.
    check_topics: dict[str, list[CheckTopic]] = {}
    # Cues of a vendor's market observation or insight the letter's new-value ask builds on
    # (a segment converting better, a competitor's move, a head office's interest).
    new_value_leads: list[str] = []
    templates_version: str = ""
    audience: AudienceSpec | None = None  # from knowledge/drafts_audience.yaml, set on load

    def kind(self, kind: DraftKind) -> KindSpec:
        return self.kinds[kind]

    @property
    def audiences(self) -> AudienceSpec:
        if self.audience is None:  # only a config built by hand in a test lacks it
            return load_audience(DEFAULT_AUDIENCE_FILE)
        return self.audience


def drafts_dir(prompts_dir: Path) -> Path:
    return prompts_dir / "drafts"


def _templates_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*")):
        if path.is_file() and (path.suffix == ".yaml" or path.name.endswith(".md.j2")):
            digest.update(path.name.encode("utf-8"))
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def load_audience(path: Path) -> AudienceSpec:
    return validate_file(AudienceSpec, path)


def load_draft_config(prompts_dir: Path, knowledge_dir: Path | None = None) -> DraftConfig:
    """Validated prompts/drafts/drafts.yaml, versioned by every file in that folder, with
    the audiences of knowledge/drafts_audience.yaml."""
    directory = drafts_dir(prompts_dir)
    path = directory / "drafts.yaml"
    config = validate_file(DraftConfig, path)
    for kind in DRAFT_KINDS:
        if kind not in config.kinds:
            raise ConfigError(
                f"{path.name}: kinds.{kind} がありません", path=path, field_name="kinds"
            )
        if not (directory / config.kinds[kind].template).is_file():
            raise ConfigError(
                f"テンプレートがありません: {config.kinds[kind].template}",
                path=path,
                field_name=f"kinds.{kind}.template",
            )
    version = f"drafts{config.version}-{_templates_digest(directory)}"
    audience_file = (knowledge_dir / AUDIENCE_FILE) if knowledge_dir else DEFAULT_AUDIENCE_FILE
    if not audience_file.is_file():
        audience_file = DEFAULT_AUDIENCE_FILE
    return config.model_copy(
        update={"templates_version": version, "audience": load_audience(audience_file)}
    )
