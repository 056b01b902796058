"""Plain input data for the analysis engine: no ORM rows cross into the rules."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

Author = Literal["client", "vendor"]

COMPANY_AFFIXES = re.compile(r"(株式会社|有限会社|合同会社|\(株\)|（株）|㈱)")


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


def vendor_core_name(vendor_name: str) -> str:
    """「株式会社セールスブリッジ」→「セールスブリッジ」, as people write it in letters."""
    return COMPANY_AFFIXES.sub("", vendor_name).strip()


def author_of(document: DocumentFacts, vendor_name: str) -> Author:
    """Vendor reports come from the vendor, meeting notes from the client; emails either way.

    An email is the vendor's when it introduces itself as the vendor (「<vendor>の石川です」)
    or is signed with the vendor's name in its last lines.
    """
    if document.kind == "vendor_report":
        return "vendor"
    if document.kind == "meeting_notes":
        return "client"
    core = vendor_core_name(vendor_name)
    if not core:
        return "client"
    head = document.text[:400]
    if re.search(re.escape(core) + r"の\S{1,12}(です|でございます)", head):
        return "vendor"
    tail_lines = [line.strip() for line in document.text.strip().splitlines()[-4:]]
    own_signature = any(core in line and len(line) <= len(core) + 16 for line in tail_lines)
    addressed_to_vendor = any(core in line for line in document.text.strip().splitlines()[:3])
    return "vendor" if own_signature and not addressed_to_vendor else "client"
