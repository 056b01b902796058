"""The rubric as data: the schemas of knowledge/signals.yaml and knowledge/engine.yaml."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.core.vocabulary import SignalSource
from app.errors import ConfigError
from app.knowledge.files import validation_error


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
    # Regex cues are kept only where they are precise; the learned detectors do the rest.
    cues: list[Cue] = []
    handover: Handover | None = None


class CueGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    unless: list[Pattern] = []
    cues: list[Cue] = []


class FactorType(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    checks: list[str] = Field(min_length=1)
    cues: list[Cue] = []


class InternalFactorsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    unless: list[Pattern] = []
    types: dict[
        Literal["market_change", "competitor", "product", "client_resources", "kpi_misaligned"],
        FactorType,
    ]


class SharedUnless(BaseModel):
    """A family of wording that asserts nothing (a hypothetical, an open question): appended
    to every signal's `unless` but those in `except`; for a `good_only` signal it cancels the
    good sentences only (`SignalsFile.unless_good`, read by the finder)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str
    except_: list[SignalSource] = Field(default=[], alias="except")
    # Signals whose good sentences only the family cancels (「もし内製化するなら」 is no
    # know-how handed over, but 「仮に契約を終了した場合、当社単独では継続できない」 is a concern).
    good_only: list[SignalSource] = []
    patterns: list[Pattern] = Field(min_length=1)


class SignalsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    # Appended to the `unless` of every signal but those in a family's `except`, so the
    # engine, the chat and the phrasebook check all read them the same way.
    shared_unless: list[SharedUnless] = []
    signals: dict[
        Literal[
            "proactivity", "communication", "dependency", "personnel_change", "expectation_gap"
        ],
        SignalSpec,
    ]
    stagnation: CueGroup
    internal_factors: InternalFactorsSpec

    def unless_groups(self) -> dict[str, SignalSpec | CueGroup | InternalFactorsSpec]:
        """Every signal's spec by key: each has its own `unless`."""
        groups: dict[str, SignalSpec | CueGroup | InternalFactorsSpec] = {
            key: spec for key, spec in self.signals.items()
        }
        groups["stagnation"] = self.stagnation
        groups["internal_factors"] = self.internal_factors
        return groups

    @model_validator(mode="after")
    def _share_unless(self) -> SignalsFile:
        for family in self.shared_unless:
            for key, group in self.unless_groups().items():
                if key not in family.except_ and key not in family.good_only:
                    group.unless = [*group.unless, *family.patterns]
        return self

    def unless_good(self) -> dict[str, list[str]]:
        """signal → the shared patterns that cancel only its good sentences."""
        found: dict[str, list[str]] = {}
        for family in self.shared_unless:
            for key in family.good_only:
                found.setdefault(key, []).extend(family.patterns)
        return found


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


class PresenceRule(BaseModel):
    personnel_change: float = Field(gt=0)
    expectation_gap: float = Field(gt=0)
    internal_factor: float = Field(gt=0)
    stagnation_text: float = Field(gt=0)
    # A presence needs this many sure sentences (a cue, or a detector from its evidence
    # threshold up) besides the weight: many weak detector hits alone do not make it.
    min_sure_hits: int = Field(default=0, ge=0)
    # A client-side cause also needs independent support: a sure sentence in the client's
    # own documents, or sure sentences in this many documents (0: off).
    internal_factor_documents: int = Field(default=0, ge=0)
    # The type detector's probability from which it alone makes a client-side cause's type
    # sure (below it the type is only the likeliest of five; 1.0: only cues make it sure).
    factor_type_sure: float = Field(default=0.0, ge=0, le=1)


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
    # No verdict before evidence: below this many documents the decision is 判断保留.
    pending_below_documents: int = Field(default=1, ge=0)
    # Documents exist but no KPI achievement, signal or presence could be read from them.
    pending_without_findings: bool = True


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
    # Signals whose sentences the learned detectors find together with the kept cues; the
    # others are found by their cues alone (docs/detectors.md).
    detector_signals: list[SignalSource] = ["proactivity", "communication", "dependency"]


class DetectorEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # "<signal>.<polarity>" or "internal_factors.type.<factor type>".
    key: str = Field(pattern=r"^[a-z_]+\.([a-z_]+|type\.[a-z_]+)$")
    threshold: float = Field(ge=0, le=1)
    # A sentence only this detector found is cited as evidence from here up (None: threshold).
    evidence_threshold: float | None = Field(default=None, ge=0, le=1)
    bias: float


class DetectorFile(BaseModel):
    """knowledge/detectors/detectors.json, written by scripts/train_detectors.py."""

    model_config = ConfigDict(extra="forbid")
    version: int
    kind: Literal["char_ngram_tfidf_logistic"]
    ngram_range: tuple[int, int]
    sublinear_tf: bool
    extra_features: list[Literal["side_client"]]
    trained_on: list[str]
    detectors: list[DetectorEntry] = Field(min_length=1)
    vocabulary: list[str] = Field(min_length=1)


@dataclass(frozen=True, eq=False)
class DetectorModel:
    """The learned sentence detectors: their file plus the arrays, shapes checked at load."""

    spec: DetectorFile
    idf: NDArray[np.float32]  # one per vocabulary n-gram
    weights: NDArray[np.float32]  # detectors × (vocabulary + extra features)

    @cached_property
    def index(self) -> dict[str, int]:
        return {gram: position for position, gram in enumerate(self.spec.vocabulary)}

    @cached_property
    def keys(self) -> list[str]:
        return [entry.key for entry in self.spec.detectors]


def load_detectors(directory: Path) -> DetectorModel:
    """Read the detector data (JSON + two `.npy` arrays, never pickles) and check its shapes."""
    path = directory / "detectors.json"
    try:
        spec = DetectorFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as error:
        raise ConfigError(f"読み込めません: {error}", path=path) from error
    except ValidationError as error:
        raise validation_error(path, error) from error
    arrays: dict[str, NDArray[np.float32]] = {}
    for name in ("idf", "weights"):
        path = directory / f"{name}.npy"
        try:
            arrays[name] = np.load(path, allow_pickle=False).astype(np.float32)
        except (OSError, ValueError) as error:
            raise ConfigError(f"読み込めません: {error}", path=path, field_name=name) from error
    width = len(spec.vocabulary) + len(spec.extra_features)
    if arrays["idf"].shape != (len(spec.vocabulary),):
        raise ConfigError("語彙の数と一致しません", path=directory / "idf.npy", field_name="idf")
    if arrays["weights"].shape != (len(spec.detectors), width):
        raise ConfigError(
            "検出器・特徴の数と一致しません", path=directory / "weights.npy", field_name="weights"
        )
    return DetectorModel(spec=spec, idf=arrays["idf"], weights=arrays["weights"])
