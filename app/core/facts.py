"""Plain input data for the analysis engine: no ORM rows cross into the rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from app.core.text import introduces, line_spans, lines, strip_company_affixes

Author = Literal["client", "vendor"]


@dataclass(frozen=True)
class EngagementFacts:
    id: int
    vendor_name: str
    service: str
    start_date: dt.date
    renewal_date: dt.date
    notice_days: int | None
    monthly_fee_jpy: int | None
    kpi_targets: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentFacts:
    id: int
    kind: str
    date: dt.date
    period: str | None
    title: str
    text: str
    content_hash: str = ""

    @property
    def month(self) -> str:
        """Reporting month, or the month of the date for documents without a period."""
        return self.period or self.date.strftime("%Y-%m")


@dataclass(frozen=True)
class KpiPoint:
    """One KPI value stated in a document, with its source span (or a user's correction)."""

    key: str
    value: float
    document_id: int
    period: str
    start: int
    end: int
    quote: str
    corrected: bool = False
    author: Author = "vendor"
    own_period: bool = True  # stated for the document's own month (not 「9月は…」 in October)
    quoted: bool = False  # in a quoted reply (「> …」) of an e-mail
    approximate: bool = False


@dataclass(frozen=True)
class KpiConflict:
    """Two documents giving different values for one KPI and month: the one that counts and
    the one it overrode (both cited)."""

    key: str
    period: str
    chosen: KpiPoint
    other: KpiPoint


def vendor_core_name(vendor_name: str) -> str:
    """「株式会社ミナト営業」→「ミナト営業」, as people write it in letters."""
    return strip_company_affixes(vendor_name)


def author_of(document: DocumentFacts, vendor_name: str) -> Author:
    """Vendor reports come from the vendor, meeting notes from the client; emails either way.

    An email is the vendor's when it introduces itself as the vendor (「<vendor>の佐藤です」)
    or is signed with the vendor's name in its last lines.
    """
    if document.kind == "vendor_report":
        return "vendor"
    if document.kind == "meeting_notes":
        return "client"
    core = vendor_core_name(vendor_name)
    if not core:
        return "client"
    if introduces(document.text[:400], vendor_name):
        return "vendor"
    text = document.text.strip()
    text_lines = [text[start:end].strip() for start, end in line_spans(text)]
    own_signature = any(core in line and len(line) <= len(core) + 16 for line in text_lines[-4:])
    addressed_to_vendor = any(core in line for line in text_lines[:3])
    return "vendor" if own_signature and not addressed_to_vendor else "client"


class StatedKpi(Protocol):
    """A KPI value read from a document's text (the KPI reader's mention)."""

    @property
    def key(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def quote(self) -> str: ...


def _stated_period(mention: StatedKpi, document: DocumentFacts) -> str:
    """The month the text gives the figure (the reader's `period`), else the document's."""
    period = getattr(mention, "period", None)
    return str(period) if period else document.month


@dataclass(frozen=True)
class CorrectionFact:
    """A user's correction of one KPI of one document text; `value=None` removes it."""

    content_hash: str
    key: str
    value: float | None


def kpi_points(
    *,
    vendor_name: str,
    documents: Sequence[DocumentFacts],
    stated: Mapping[int, Sequence[StatedKpi]],
    corrections: Sequence[CorrectionFact],
) -> list[KpiPoint]:
    """Every document's KPI values with the user's corrections applied: the one merge.

    A correction is keyed by the document's content hash, so it survives re-import of the
    same text; it replaces the stated value (keeping its citation) or removes it.
    """
    by_text = {(c.content_hash, c.key): c for c in corrections}
    points: list[KpiPoint] = []
    for document in documents:
        author = author_of(document, vendor_name)
        own = document.month
        # A correction applies to the document's own month; other months' figures stay as read.
        mentions = {(m.key, _stated_period(m, document)): m for m in stated.get(document.id, ())}
        corrected_keys = {key for (digest, key) in by_text if digest == document.content_hash}
        slots = set(mentions) | {(key, own) for key in corrected_keys}
        quoted = _quoted_lines(document.text) if mentions else []
        for key, period in sorted(slots):
            correction = by_text.get((document.content_hash, key)) if period == own else None
            found = mentions.get((key, period))
            if correction is not None and correction.value is None:
                continue
            value = correction.value if correction is not None else found.value if found else None
            if value is None:
                continue
            points.append(
                KpiPoint(
                    key=key,
                    value=value,
                    document_id=document.id,
                    period=period,
                    start=found.start if found else 0,
                    end=found.end if found else 0,
                    quote=found.quote if found else "",
                    corrected=correction is not None,
                    author=author,
                    own_period=period == own,
                    quoted=found is not None and any(s <= found.start < e for s, e in quoted),
                    approximate=bool(getattr(found, "approximate", False)),
                )
            )
    return points


def _quoted_lines(text: str) -> list[tuple[int, int]]:
    return [(line.start, line.end) for line in lines(text) if line.kind == "quote"]


def _preference(point: KpiPoint) -> tuple[int, int, int, int]:
    """A user's correction wins; then a figure stated for the document's own month, outside a
    quoted reply; then the client's own notes over the vendor's report."""
    return (
        1 if point.corrected else 0,
        1 if point.own_period else 0,
        0 if point.quoted else 1,
        1 if point.author == "client" else 0,
    )


def merge_kpi_points(
    points: Sequence[KpiPoint],
) -> tuple[dict[str, dict[str, KpiPoint]], list[KpiConflict]]:
    """period → key → the point that counts, and every disagreement it settled: the one merge."""
    table: dict[str, dict[str, KpiPoint]] = {}
    for point in points:
        current = table.setdefault(point.period, {}).get(point.key)
        if current is None or _preference(point) > _preference(current):
            table[point.period][point.key] = point
    conflicts: list[KpiConflict] = []
    for point in points:
        chosen = table[point.period][point.key]
        if point is not chosen and abs(point.value - chosen.value) > 1e-9:
            conflicts.append(KpiConflict(point.key, point.period, chosen, point))
    return dict(sorted(table.items())), conflicts
