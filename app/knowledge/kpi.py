"""The knowledge file knowledge/kpi.yaml as validated data: KPI names, units and cue words."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    model_validator,
)

from app.core.normalize import normalize_for_matching
from app.knowledge.files import validate_file

Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Terms = Annotated[list[Term], Field(min_length=1)]
UnitKind = Literal["count", "percent", "jpy"]
KpiKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KpiSpec(_Strict):
    label: Term
    unit: UnitKind
    synonyms: Terms


MeasureKind = Literal["count", "rate", "amount", "unit_cost"]


class StageSpec(_Strict):
    """A funnel stage: the words that name it, and the KPI each measure of it is."""

    words: Terms
    # measure → KPI key; a measure not listed (接続率, 受注単価) names a figure that is no KPI.
    measures: dict[MeasureKind, KpiKey]
    # The KPI the bare word names (「アポ22件」): the count, else the amount.
    bare: KpiKey | None = None


class LabelSpec(_Strict):
    """Labels composed of a stage word and a measure suffix (架電 × 件数, アポ × 獲得率)."""

    stages: Annotated[dict[str, StageSpec], Field(min_length=1)]
    measures: dict[MeasureKind, Terms]
    # Between an ASCII stage word and its suffix: 「call rate」「call_count」.
    ascii_joiners: list[str] = [" ", "", "_", "-"]


class UnitSpec(_Strict):
    count: Terms
    percent: Terms
    jpy: Annotated[dict[Term, Annotated[float, Field(gt=0)]], Field(min_length=1)]
    jpy_prefixes: Terms
    # Before a count unit: 「1.2万件」 is 12,000.
    count_multipliers: dict[Term, Annotated[float, Field(gt=0)]] = {}


class CueSpec(_Strict):
    target: Terms
    plan: Terms
    previous: Terms
    previous_year: Terms
    subcount: Terms
    period_scope: Terms
    breakdown: Terms
    other_metrics: Terms
    comparisons: Terms
    actual: Terms
    current: Terms
    section_only: Terms
    after_value: Terms


class GrammarSpec(_Strict):
    particles: Terms
    verb_links: Terms
    item_links: Terms
    arrows: Terms
    change_words: Terms
    non_figure_suffixes: Terms
    approximators: Terms
    # Before a figure: it is approximate (「約85万円」), still the figure.
    approximate: Terms
    enumeration_joiners: Terms
    clause_links: Terms
    part_markers: Terms
    subset_modifiers: Terms
    lead_line_words: Terms
    heading_markers: Terms
    # Target words that, in a heading or sheet name, only name the section (「## 6月KPI」).
    heading_neutral: list[Term] = []
    # Words that give the unit of a table's figures: 「（単位：千円）」, a 「単位」 column.
    unit_notes: list[Term] = []
    # Before a figure with no KPI name: it corrects or confirms the KPI named just before.
    restatements: list[Term] = []
    # After a figure with no KPI name of its own: it is the corrected figure (「1,512件に訂正」).
    corrected_after: list[Term] = []
    # After a measure word (件数, 金額): the figure is that measure of the stage named before.
    measure_links: list[Term] = []
    bullet_markers: Terms
    numbered_heading_max_chars: int = Field(gt=0)
    # Row or column titles of a month's total under per-person/week/list parts.
    total_rows: Terms
    total_suffixes: Terms
    subtotal_words: Terms


# The kinds of word the lexicon tells apart; a cue kind's value names its list under `cues:`.
class Kind(Enum):
    KPI = "kpi"
    TARGET = "target"
    PLAN = "plan"
    PREVIOUS = "previous"
    PREVIOUS_YEAR = "previous_year"
    SUBCOUNT = "subcount"
    PERIOD_SCOPE = "period_scope"
    BREAKDOWN = "breakdown"
    OTHER_METRIC = "other_metrics"
    # Neutral: 「目標を上回る」 names a target but states no figure of it.
    COMPARISON = "comparisons"
    ACTUAL = "actual"
    CURRENT = "current"
    SECTION = "section_only"
    MONTH = "month"


CUE_KINDS = [kind for kind in Kind if kind not in (Kind.KPI, Kind.MONTH)]


class KpiKnowledge(_Strict):
    """knowledge/kpi.yaml: KPI names and units, plus the cue words the extraction rules use."""

    version: int
    kpis: Annotated[dict[KpiKey, KpiSpec], Field(min_length=1)]
    units: UnitSpec
    cues: CueSpec
    grammar: GrammarSpec
    labels: LabelSpec | None = None
    # The compiled form (`app.analyse.kpi.lexicon.compiled`), built once per loaded file by the
    # feature that reads it; the file itself stays plain data.
    _compiled: object = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _terms_are_unambiguous(self) -> KpiKnowledge:
        """A word in two lexicon lists would make its meaning depend on list order."""
        seen: dict[str, str] = {}
        for field, term in self._lexicon_terms():
            key = normalize_for_matching(term)
            if seen.get(key, field) != field:
                raise ValueError(
                    f"{field} の語 {term!r} は {seen[key]} にもあります（語はひとつの一覧にだけ置けます）"
                )
            seen[key] = field
        return self

    def _lexicon_terms(self) -> Iterator[tuple[str, str]]:
        for key, spec in self.kpis.items():
            for synonym in spec.synonyms:
                yield f"kpis.{key}.synonyms", synonym
        for kind in CUE_KINDS:
            for term in self.cue_terms(kind):
                yield f"cues.{kind.value}", term

    def composed_labels(self) -> dict[str, str | None]:
        """Every stage word × measure suffix, and each bare stage word, with its KPI key.

        None marks a label that names a figure but no KPI (接続率, アポ単価): the reader then
        knows the number beside it is not one of the KPIs. Explicit synonyms and cue words
        take precedence over these (the lexicon applies them last).
        """
        if self.labels is None:
            return {}
        composed: dict[str, str | None] = {}
        for stage in self.labels.stages.values():
            bare = stage.bare or stage.measures.get("count") or stage.measures.get("amount")
            for word in stage.words:
                ascii_word = word.isascii()
                if bare is not None:
                    composed.setdefault(word, bare)
                for measure, suffixes in self.labels.measures.items():
                    key = stage.measures.get(measure)
                    for suffix in suffixes:
                        joiners = self.labels.ascii_joiners if ascii_word else [""]
                        if ascii_word and not suffix.isascii():
                            joiners = [""]
                        if not ascii_word and suffix.isascii():
                            continue
                        for joiner in joiners:
                            composed.setdefault(f"{word}{joiner}{suffix}", key)
        return composed

    def cue_terms(self, kind: Kind) -> list[str]:
        terms: list[str] = getattr(self.cues, kind.value)
        return terms


def load_kpi_knowledge(path: Path) -> KpiKnowledge:
    """Read and validate knowledge/kpi.yaml; errors name the file and the field."""
    return validate_file(KpiKnowledge, path)


KPI_SYNONYMS_OVERLAY = "kpi_synonyms.yaml"


class SynonymOverlay(_Strict):
    """<data_dir>/knowledge/kpi_synonyms.yaml: labels users mapped to a KPI on the KPI table."""

    synonyms: dict[KpiKey, list[Term]] = {}


def with_synonyms(knowledge: KpiKnowledge, overlay: SynonymOverlay) -> KpiKnowledge:
    """The knowledge with the users' labels added to each KPI's synonyms (validated again)."""
    data = knowledge.model_dump()
    for key, labels in overlay.synonyms.items():
        if key not in data["kpis"]:
            raise ValueError(f"{KPI_SYNONYMS_OVERLAY}: KPIの種類 {key!r} はありません")
        known = data["kpis"][key]["synonyms"]
        known.extend(label for label in labels if label not in known)
    return KpiKnowledge.model_validate(data)
