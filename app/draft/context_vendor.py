"""What the drafts answer and report from the vendor's side: figures, gaps, proposals, requests.

Pure code. `figures` are the KPI values a draft states, each with the passage that states the
actual (an internal draft takes the reconciled analysis value; an external one the value the
vendor itself reported; `context_period` presents them over the period, down to 受注);
`vendor_proposals` and `vendor_requests` are the vendor's own words a letter
responds to; `owed_items` says who owes what.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.analyse.models import Citation, EngagementAnalysis
from app.core.facts import DocumentFacts, KpiPoint
from app.core.normalize import normalize_for_matching
from app.core.text import lines, sentence_spans, strip_marker
from app.draft.audience import Readers
from app.draft.findings import number
from app.draft.todos import OpenItem, item_citation
from app.knowledge import Knowledge
from app.knowledge.drafts import VendorText
from app.knowledge.kpi import KpiSpec

FUNNEL = ("calls", "connections", "appointments", "opportunities", "deals")
MAX_PROPOSALS = 5
MAX_REQUESTS = 4
MAX_QUOTE_CHARS = 110
SHORT_SENTENCE_CHARS = 25


@dataclass(frozen=True)
class Figure:
    """One KPI value of one month, as a draft states it."""

    key: str
    label: str
    unit: str
    period: str
    value: float
    target: float | None
    source: Citation | None  # None when the value is a correction with no passage
    # False in an external draft when no vendor document states it (heard in a meeting)
    written: bool = True

    @property
    def achievement(self) -> float | None:
        return self.value / self.target if self.target else None

    @property
    def text(self) -> str:
        return number(self.value, self.unit)

    @property
    def target_text(self) -> str:
        return number(self.target, self.unit) if self.target is not None else ""

    @property
    def spoken(self) -> str:
        """As a sentence says it: 24件, 52%, 720,000円."""
        return self.text + ("件" if self.unit == "count" else "")

    @property
    def target_spoken(self) -> str:
        return self.target_text + ("件" if self.unit == "count" and self.target_text else "")


def states_value(quote: str, value: float) -> bool:
    """Whether the passage states this number (so a figure never cites a target sentence)."""
    text = normalize_for_matching(quote).replace(",", "")
    digits = re.findall(r"\d+(?:\.\d+)?", text)
    return any(abs(float(d) - value) < 1e-6 for d in digits)


def _citation(point: KpiPoint, documents: dict[int, DocumentFacts]) -> Citation | None:
    if point.end <= point.start or not point.quote or not states_value(point.quote, point.value):
        return None
    document = documents.get(point.document_id)
    return Citation(
        document_id=point.document_id,
        start=point.start,
        end=point.end,
        quote=point.quote,
        period=point.period,
        title=document.title if document else "",
    )


def _best_vendor_points(
    analysis: EngagementAnalysis,
    points: Sequence[KpiPoint],
    by_id: dict[int, DocumentFacts],
    readers: Readers,
    kpis: Mapping[str, KpiSpec],
) -> dict[tuple[str, str], KpiPoint]:
    """Per (month, KPI) the vendor's best statement of it: its own month first, outside a
    quoted reply, not a correction; documents after `as_of` are not read."""
    best: dict[tuple[str, str], KpiPoint] = {}
    for point in points:
        if point.document_id not in readers.citable_ids or point.key not in kpis:
            continue
        if by_id.get(point.document_id) and by_id[point.document_id].date > analysis.as_of:
            continue
        slot = (point.period, point.key)
        rank = (point.own_period, not point.quoted, not point.corrected)
        current = best.get(slot)
        if current is None or rank > (
            current.own_period,
            not current.quoted,
            not current.corrected,
        ):
            best[slot] = point
    return best


def figures(
    *,
    analysis: EngagementAnalysis,
    points: Sequence[KpiPoint],
    documents: Sequence[DocumentFacts],
    readers: Readers,
    knowledge: Knowledge,
) -> list[Figure]:
    """Every month's KPI values a draft may state, oldest first.

    Internal: the analysis table (the reconciled value), cited only where the passage states
    that very value. External: the same reconciled values, cited only to the vendor's own
    documents (a figure given for the document's own month outside a quoted reply); a month
    no vendor document states is `written=False`, stated without a citation.
    """
    kpis = knowledge.kpi.kpis
    by_id = {d.id: d for d in documents}
    targets = {
        (month.period, key): cell.target
        for month in analysis.kpi_table
        for key, cell in month.values.items()
    }
    found: list[Figure] = []
    best = _best_vendor_points(analysis, points, by_id, readers, kpis) if readers.external else {}
    # Every month the analysis reconciled is stated (a month the vendor reported only in a
    # meeting must not look missing), cited only where the passage states that very value.
    for month in analysis.kpi_table:
        for key, cell in month.values.items():
            if key not in kpis:
                continue
            if readers.external:
                given = best.pop((month.period, key), None)
                source = _citation(given, by_id) if given else None
            else:
                source = None if cell.corrected else cell.source
            if source is not None and not states_value(source.quote, cell.value):
                source = None
            found.append(
                Figure(
                    key=key,
                    label=str(kpis[key].label),
                    unit=str(kpis[key].unit),
                    period=month.period,
                    value=cell.value,
                    target=cell.target,
                    source=source,
                    written=source is not None or not readers.external,
                )
            )
    for (period, key), point in best.items():  # a vendor figure the analysis did not keep
        source = _citation(point, by_id)
        if source is not None:
            found.append(
                Figure(
                    key=key,
                    label=str(kpis[key].label),
                    unit=str(kpis[key].unit),
                    period=period,
                    value=point.value,
                    target=targets.get((period, key)),
                    source=source,
                )
            )
    return sorted(found, key=lambda f: f.period)


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence cut to what matters: without its list marker, at most one long clause."""
    body = text[start:end]
    marker = len(body) - len(strip_marker(body))
    start += marker
    while end > start and text[end - 1] in " \u3000":
        end -= 1
    if end - start > MAX_QUOTE_CHARS:
        cut = text.rfind("、", start, start + MAX_QUOTE_CHARS)
        if cut > start + 20:
            end = cut
    return start, end


def _quote(document: DocumentFacts, start: int, end: int) -> Citation:
    start, end = _clause(document.text, start, end)
    return Citation.of_span(document, start, end)


def clause_citation(document: DocumentFacts, start: int, end: int) -> Citation:
    """A sentence of a document as a draft quotes it (cut to the clause that matters)."""
    return _quote(document, start, end)


def _item_span(
    text: str, body: int, end: int, sentences: list[tuple[int, int]], hit: int
) -> tuple[int, int]:
    """A list item whole when it is short; else the sentence that matters (`hit`), with the
    sentence before it when it is too short to read alone (「抽出をご相談させてください。」)."""
    if end - body <= MAX_QUOTE_CHARS:
        return body, end
    first, last = sentences[hit]
    if last - first < SHORT_SENTENCE_CHARS and hit > 0:
        first = sentences[hit - 1][0]
    return first, last


def _proposal_lines(
    document: DocumentFacts, heading: re.Pattern[str]
) -> list[tuple[int, int, bool]]:
    """(body, end, under a proposal heading) of every item and text line. Under a heading
    count its list items, and a paragraph only when it comes right after the heading (a
    closing line or the signature further down is no proposal)."""
    text = document.text
    found: list[tuple[int, int, bool]] = []
    under = False
    since = 0  # lines since the heading
    for line in lines(text):
        content = text[line.start : line.end]
        if line.kind == "heading" or (line.kind == "text" and content.rstrip().endswith("】")):
            under, since = bool(heading.search(content)), 0
        elif line.kind in ("item", "text"):
            since += 1
            first_paragraph = line.kind == "text" and since == 1
            found.append((line.body, line.end, under and (line.kind == "item" or first_paragraph)))
        elif line.kind != "blank":
            under = False
    return found


def _sent(
    documents: Sequence[DocumentFacts], readers: Readers, as_of: dt.date
) -> list[DocumentFacts]:
    """The vendor's own documents up to `as_of`, newest first."""
    sent = [d for d in documents if d.id in readers.citable_ids and d.date <= as_of]
    return sorted(sent, key=lambda d: (d.date, d.id), reverse=True)


def vendor_proposals(
    documents: Sequence[DocumentFacts], readers: Readers, rules: VendorText, as_of: dt.date
) -> list[Citation]:
    """The vendor's own proposals, newest documents first: items under a proposal heading,
    and sentences that propose."""
    heading = re.compile("|".join(rules.proposal_headings))
    proposing = re.compile("|".join(rules.proposal_sentences))
    found: list[Citation] = []
    for document in _sent(documents, readers, as_of):
        for body, end, under in _proposal_lines(document, heading):
            spans = sentence_spans(document.text, body, end)
            hits = [i for i, (a, b) in enumerate(spans) if proposing.search(document.text[a:b])]
            if spans and (under or hits):
                start, stop = _item_span(document.text, body, end, spans, (hits or [0])[0])
                found.append(_quote(document, start, stop))
        if len(found) >= MAX_PROPOSALS:
            break
    return found[:MAX_PROPOSALS]


def vendor_requests(
    documents: Sequence[DocumentFacts], readers: Readers, rules: VendorText, as_of: dt.date
) -> list[Citation]:
    """What the vendor asked us to check, decide or provide (our side's open items), from
    its two latest documents."""
    asking = re.compile("|".join(rules.requests_to_client))
    found: list[Citation] = []
    for document in _sent(documents, readers, as_of)[:2]:
        for body, end, _under in _proposal_lines(document, asking):
            spans = sentence_spans(document.text, body, end)
            hits = [i for i, (a, b) in enumerate(spans) if asking.search(document.text[a:b])]
            if hits:
                start, stop = _item_span(document.text, body, end, spans, hits[0])
                found.append(_quote(document, start, stop))
    return found[:MAX_REQUESTS]


@dataclass(frozen=True)
class OwedItem:
    side: str  # 代行会社 / 当社
    owner: str
    task: str
    due: str | None
    evidence: list[Citation]
    due_label: str | None = None  # 「期限：11/28まで」, or 「期限：2025年11月28日・期限超過」
    overdue: bool = False


NAME_RUN = re.compile(r"[ァ-ヴー]{3,}|[一-龥々]{3,}")
PARTICLES = frozenset("とにへのがはから")


def addressed(task: str, vendor_core: str) -> str:
    """Our minutes' name for the vendor, in full or shortened (「月次でアユミと共有」), reads
    「貴社」 in what the vendor gets; a shortening counts only before a particle."""
    if not vendor_core:
        return task
    task = task.replace(vendor_core, "貴社")

    def swap(match: re.Match[str]) -> str:
        run = match.group(0)
        after = task[match.end() : match.end() + 1]
        return "貴社" if vendor_core.startswith(run) and after in PARTICLES else run

    return NAME_RUN.sub(swap, task)


def owed_items(
    items: Sequence[OpenItem],
    readers: Readers,
    rules: VendorText,
    vendor_people: set[str],
    vendor_core: str = "",
) -> list[OwedItem]:
    """Open items by who owes them; an external draft keeps ours only when they promise the
    vendor something and are no internal step, cites none of the client's minutes, and calls
    the vendor 貴社."""
    shared = re.compile(rules.shared_client_items)
    internal = re.compile(rules.internal_client_items)
    owed: list[OwedItem] = []
    for item in items:
        owner = item.owner or ""
        vendor_side = item.vendor_side or owner.rstrip("様") in vendor_people
        private = not shared.search(item.task) or internal.search(item.task)
        if readers.external and not vendor_side and private:
            continue
        if readers.external and vendor_side and item.to_confirm:
            # its month's report came after the meeting and likely holds it: the vendor is
            # not asked again for what it may have sent (the memo keeps it to check)
            continue
        source = item_citation(item)
        task = item.task.rstrip("。")
        owed.append(
            OwedItem(
                side="代行会社" if vendor_side else "当社",
                owner=owner or ("代行会社" if vendor_side else "当社"),
                task=addressed(task, vendor_core) if readers.external else task,
                due=item.due,
                evidence=readers.keep([source]),
                due_label=item.due_label,
                overdue=item.overdue,
            )
        )
    return owed
