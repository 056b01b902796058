"""The rubric as data: load and validate knowledge/*.yaml, compile every pattern once."""

from __future__ import annotations

import hashlib
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from app.errors import RenewalDeskError

ModelT = TypeVar("ModelT", bound=BaseModel)


class KnowledgeError(RenewalDeskError):
    """A knowledge file is broken; the message names the file and the field."""

    status_code = 500
    code = "knowledge_error"


def _check_pattern(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"正規表現として不正です: {value!r} ({error})") from error
    return value


# A regular expression, checked when the knowledge file is loaded.
Pattern = Annotated[str, AfterValidator(_check_pattern)]


class Cue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    polarity: Literal["good", "concern", "present"] = "present"
    weight: float = Field(gt=0, le=5)
    pattern: Pattern
    # Patterns that cancel this cue only (the signal's own `unless` cancels all its cues).
    unless: list[Pattern] = []
    # A weak, routine cue can count towards a judgment without being shown as evidence.
    cite: bool = True
    # Whose documents the cue reads: 「…したいと考えています」 is a proposal from the vendor
    # but only the client's own wish in the client's notes.
    author: Literal["any", "client", "vendor"] = "any"

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    @cached_property
    def unless_regexes(self) -> list[re.Pattern[str]]:
        return [re.compile(pattern) for pattern in self.unless]

    def matches(self, text: str) -> bool:
        if not self.regex.search(text):
            return False
        return not any(blocker.search(text) for blocker in self.unless_regexes)


class Handover(BaseModel):
    model_config = ConfigDict(extra="forbid")
    good: list[Pattern] = []
    risk: list[Pattern] = []


class SignalSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    kind: Literal["status", "presence"]
    checklist: list[str] = Field(min_length=1)
    unless: list[Pattern] = []
    cues: list[Cue] = Field(min_length=1)
    handover: Handover | None = None


class CueGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    unless: list[Pattern] = []
    cues: list[Cue] = Field(min_length=1)


class FactorType(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    checks: list[str] = Field(min_length=1)
    cues: list[Cue] = Field(min_length=1)


class InternalFactorsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    unless: list[Pattern] = []
    types: dict[
        Literal["market_change", "competitor", "product", "client_resources", "kpi_misaligned"],
        FactorType,
    ]


class SignalsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    signals: dict[
        Literal[
            "proactivity", "communication", "dependency", "personnel_change", "expectation_gap"
        ],
        SignalSpec,
    ]
    stagnation: CueGroup
    internal_factors: InternalFactorsSpec


class RecencyStep(BaseModel):
    months_back_at_most: int = Field(ge=0)
    weight: float = Field(gt=0, le=1)


class Weights(BaseModel):
    author: dict[Literal["client", "vendor"], float]
    recency: list[RecencyStep] = Field(min_length=1)


class StatusRule(BaseModel):
    good_at_least: float = Field(gt=0, lt=1)
    concern_at_most: float = Field(gt=0, lt=1)
    min_evidence_weight: float = Field(ge=0)
    one_sided_min_weight: float = Field(ge=0)


class PresenceRule(BaseModel):
    personnel_change: float = Field(gt=0)
    expectation_gap: float = Field(gt=0)
    internal_factor: float = Field(gt=0)
    stagnation_text: float = Field(gt=0)


class KpiRule(BaseModel):
    main_priority: list[str] = Field(min_length=1)
    rate_keys: list[str]
    recent_months: int = Field(ge=1, le=12)
    flat_band: float = Field(ge=0, lt=1)


class StagnationRule(BaseModel):
    consecutive_steps: int = Field(ge=1)
    flat_below_achievement: float = Field(gt=0)
    min_points: int = Field(ge=2)


class PhaseRule(BaseModel):
    onboarding_months: int = Field(ge=1)


class DecisionRule(BaseModel):
    renew_min_achievement: float = Field(gt=0)
    do_not_renew_max_achievement: float = Field(gt=0)
    serious_concerns_for_do_not_renew: int = Field(ge=1)
    repeated_personnel_changes: int = Field(ge=2)


class ConditionText(BaseModel):
    text: str
    owner: str


class ReferenceRange(BaseModel):
    label: str
    low: float
    high: float
    source: str


class FunnelStageSpec(BaseModel):
    key: str
    label: str
    rate: str | None = None


class EngineFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    weights: Weights
    status: StatusRule
    presence: PresenceRule
    kpi: KpiRule
    stagnation: StagnationRule
    phase: PhaseRule
    decision: DecisionRule
    conditions: dict[str, ConditionText]
    reference_ranges: dict[str, ReferenceRange]
    funnel: list[FunnelStageSpec] = Field(min_length=2)
    injection_patterns: list[Pattern] = []


class Knowledge(BaseModel):
    """Everything the offline engine knows, plus a version stored with every result."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    signals: SignalsFile
    engine: EngineFile
    kpi: Any  # app.analyse.kpi.KpiKnowledge (kept loose to avoid an import cycle)
    version: str

    @cached_property
    def injection_regexes(self) -> list[re.Pattern[str]]:
        return [re.compile(pattern) for pattern in self.engine.injection_patterns]


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise KnowledgeError(f"知識ファイルがありません: {path}") from error
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path.name}: YAML として読めません（{error}）") from error
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path.name}: 先頭はマッピング（key: value）である必要があります")
    return data


def _validate(model: type[ModelT], path: Path) -> ModelT:
    try:
        return model.model_validate(_read_yaml(path))
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise KnowledgeError(f"{path.name}: 項目 {field} が不正です（{first['msg']}）") from error


def load_knowledge(directory: Path) -> Knowledge:
    """Load and validate every knowledge file; called by the app factory at start-up."""
    from app.analyse.kpi import KpiKnowledgeError, load_kpi_knowledge

    files = ["signals.yaml", "engine.yaml", "kpi.yaml"]
    digest = hashlib.sha256()
    for name in files:
        path = directory / name
        if path.exists():
            digest.update(path.read_bytes())
    signals = _validate(SignalsFile, directory / "signals.yaml")
    engine = _validate(EngineFile, directory / "engine.yaml")
    try:
        kpi = load_kpi_knowledge(directory / "kpi.yaml")
    except KpiKnowledgeError as error:  # one error class (and status) for every knowledge file
        raise KnowledgeError(error.message) from error
    return Knowledge(
        signals=signals,
        engine=engine,
        kpi=kpi,
        version=f"k{signals.version}.{engine.version}-{digest.hexdigest()[:10]}",
    )
