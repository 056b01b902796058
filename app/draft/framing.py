"""How a draft frames the period and quotes the vendor as a careful colleague would.

Pure code. A month at the target's level (`met_tolerance`, e.g. 95 %) is no miss; a KPI that
grew month by month on an agreed ramp-up (the vendor's plan, our minutes' 「順調」) is judged
by its trend, not by the flat average. A vendor proposal is listed as a paraphrase (plain
pronouns, plain endings, no 〔〕), our own staff never get 「様」, and a proposal for a day
already past, or one repeating another, is not put forward as open.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from app.analyse.models import Citation
from app.core.facts import DocumentFacts, author_of, vendor_core_name
from app.core.normalize import normalize_for_matching
from app.core.text import sentence_spans
from app.draft.audience import Readers
from app.draft.context_vendor import Figure, clause_citation
from app.draft.todos import OpenItem
from app.knowledge.drafts import VendorText

PLAN_WORDS = re.compile(r"見込|計画|予定")
DIGIT = re.compile(r"\d")
ATTENDEES = re.compile(r"出席者[:：]?\s*(?P<rest>(?:.*\n?){1,4})")
NAME = re.compile(r"(?P<name>[一-龥々]{1,4})(?:[（(][^（）()]*[)）])?(?=[、,，\s]|$)")
HONORIFIC_NAME = re.compile(r"(?P<name>[一-龥々]{1,4})様")
DATE_IN_TEXT = re.compile(
    r"(?<![\d/])(?P<month>1[0-2]|[1-9])月(?:(?P<day>[1-3]?\d)日|(?P<part>上旬|中旬|下旬|中|末|の定例|の会議|の打ち合わせ))"
)
WORD = re.compile(r"[一-龥々]{2,}|[ァ-ヴー]{2,}")
MIN_SHARED_WORDS = 3
TRAILING_NOTE = re.compile(r"[（(][^（）()]*[)）]$")


@dataclass(frozen=True)
class Trend:
    """The main KPI's months, read as a colleague would."""

    rising: bool  # grew month by month up to the latest month reported
    at_level: bool  # the latest month is at the target's level (tolerance)
    on_plan: bool  # rising and an agreed ramp-up or our own 「順調」 backs it
    plan: Citation | None  # the vendor's stated ramp-up, quotable to it


def rising(series: Sequence[Figure]) -> bool:
    """Consecutive months, never falling, the last above the first."""
    if len(series) < 2:
        return False
    months = [int(f.period[:4]) * 12 + int(f.period[5:7]) for f in series]
    if any(b - a != 1 for a, b in pairwise(months)):
        return False
    values = [f.value for f in series]
    return all(b >= a for a, b in pairwise(values)) and values[-1] > values[0]


def plan_citation(
    documents: Sequence[DocumentFacts], readers: Readers, rules: VendorText
) -> Citation | None:
    """The vendor's earliest sentence stating a ramp-up with a figure (and the next sentence
    when it carries the plan on: 「2月に月間目標40件の水準に乗せる計画です」)."""
    cues = [re.compile(p) for p in rules.plan_sentences]
    if not cues:
        return None
    for document in sorted(documents, key=lambda d: (d.date, d.id)):
        if document.id not in readers.citable_ids:
            continue
        spans = sentence_spans(document.text)
        for index, (start, end) in enumerate(spans):
            plain = normalize_for_matching(document.text[start:end])
            if (
                any(c.search(plain) for c in cues)
                and PLAN_WORDS.search(plain)
                and DIGIT.search(plain)
            ):
                stop = end
                if index + 1 < len(spans):
                    a, b = spans[index + 1]
                    following = normalize_for_matching(document.text[a:b])
                    same_line = "\n" not in document.text[end:a]
                    if same_line and PLAN_WORDS.search(following) and DIGIT.search(following):
                        stop = b
                return clause_citation(document, start, stop)
    return None


def said_on_track(documents: Sequence[DocumentFacts], vendor_name: str, rules: VendorText) -> bool:
    """Whether our own latest minutes call the period on track (「順調との認識で一致」)."""
    cues = [re.compile(p) for p in rules.on_track_sentences]
    minutes = [
        d for d in documents if d.kind == "meeting_notes" and author_of(d, vendor_name) == "client"
    ]
    if not cues or not minutes:
        return False
    latest = max(minutes, key=lambda d: (d.date, d.id))
    return any(c.search(normalize_for_matching(latest.text)) for c in cues)


def main_trend(
    figures: Sequence[Figure],
    main_kpi: str | None,
    *,
    tolerance: float,
    plan: Citation | None,
    on_track: bool,
) -> Trend:
    series = sorted((f for f in figures if f.key == main_kpi), key=lambda f: f.period)
    grew = rising(series)
    latest = series[-1].achievement if series else None
    at_level = latest is not None and latest >= tolerance
    return Trend(
        rising=grew,
        at_level=at_level,
        on_plan=grew and (plan is not None or on_track),
        plan=plan,
    )


def _attendee_parts(document: DocumentFacts) -> list[str]:
    """The parts of the attendee list: the rest of the 出席者 line and the list lines right
    under it (up to a blank line), each split at 「／」."""
    match = ATTENDEES.search(document.text)
    if match is None:
        return []
    lines = match.group("rest").splitlines()
    parts: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            if index == 0:
                continue
            break
        if index > 0 and not stripped.startswith(("-", "・", "*")):
            break
        parts.extend(p for p in re.split(r"[／/]", stripped.lstrip("-・* ")) if p.strip())
    return parts


def _minutes(documents: Sequence[DocumentFacts], vendor_name: str) -> list[DocumentFacts]:
    found = [
        d for d in documents if d.kind == "meeting_notes" and author_of(d, vendor_name) == "client"
    ]
    return sorted(found, key=lambda d: (d.date, d.id), reverse=True)


def _names(part: str) -> list[str]:
    body = re.split(r"[：:]", part, maxsplit=1)[-1]
    return [m.group("name") for m in NAME.finditer(body)]


def our_staff(documents: Sequence[DocumentFacts], vendor_name: str) -> list[str]:
    """Our own people: in our minutes' attendee lists, the part written without 「様」
    (the vendor's people are written with it), newest minutes first."""
    names: list[str] = []
    for document in _minutes(documents, vendor_name):
        for part in _attendee_parts(document):
            if "様" not in part:
                names.extend(n for n in _names(part) if n not in names)
    return names


def attendees(documents: Sequence[DocumentFacts], vendor_name: str) -> tuple[list[str], list[str]]:
    """Both sides of the latest minutes' attendee list: (ours, the vendor's with 様)."""
    latest = _minutes(documents, vendor_name)[:1]
    ours = our_staff(latest, vendor_name)
    theirs: list[str] = []
    for document in latest:
        for part in _attendee_parts(document):
            for found in HONORIFIC_NAME.finditer(part):
                if f"{found.group('name')}様" not in theirs:
                    theirs.append(f"{found.group('name')}様")
    return ours, theirs


def without_our_honorifics(text: str, staff: Iterable[str]) -> str:
    """「白石様」 for one of our own people reads 「白石」 in a text from us."""
    for name in staff:
        text = text.replace(f"{name}様", name)
    return text


def paraphrase(text: str, rules: VendorText, staff: Iterable[str]) -> str | None:
    """A vendor sentence in our words: its pronouns plain (弊社 → 貴社, 御社 → 当社), our
    staff without 様, every sentence ending plain; None when an ending has no plain form
    (the caller quotes it then)."""
    words = {w: "貴社" for w in rules.vendor_self_words}
    words |= {w: "当社" for w in rules.vendor_client_words}
    shown = text
    if words:
        pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
        shown = pattern.sub(lambda m: words[m.group(0)], shown)
    shown = without_our_honorifics(shown, staff)
    endings = [(re.compile(p), r) for p, r in rules.plain_endings]
    if not endings:
        return None
    sentences = [s for s in re.split(r"(?<=[。！？])", shown.strip()) if s.strip()]
    plain: list[str] = []
    for sentence in sentences:
        body = sentence.rstrip("。！？ 　")
        tail = TRAILING_NOTE.search(body)
        note = tail.group(0) if tail else ""
        body = body[: len(body) - len(note)]
        for pattern, replacement in endings:
            if pattern.search(body):
                plain.append(pattern.sub(replacement, body) + note)
                break
        else:
            return None  # no plain form known: quoted as written
    return "。".join(plain)


def _day(match: re.Match[str], written: dt.date) -> dt.date:
    month = int(match.group("month"))
    year = written.year + (1 if month < written.month - 6 else 0)
    if match.group("day"):
        try:
            return dt.date(year, month, int(match.group("day")))
        except ValueError:
            pass
    part = match.group("part") or ""
    day = {"上旬": 10, "中旬": 20}.get(part, 28)
    return dt.date(year, month, day)


def past_event(quote: str, written: dt.date, as_of: dt.date) -> bool:
    """The proposal names a day (「3月18日開催予定」「3月中旬に」) that has passed by `as_of`."""
    days = [_day(m, written) for m in DATE_IN_TEXT.finditer(normalize_for_matching(quote))]
    return bool(days) and max(days) < as_of


def _words(text: str) -> set[str]:
    return set(WORD.findall(normalize_for_matching(text)))


def repeats(quote: str, earlier: Sequence[str]) -> bool:
    """The same proposal again (three content words shared with one listed before)."""
    words = _words(quote)
    return any(len(words & _words(other)) >= MIN_SHARED_WORDS for other in earlier)


def split_proposals(
    proposals: Sequence[Citation], documents: Sequence[DocumentFacts], as_of: dt.date
) -> tuple[list[Citation], list[Citation]]:
    """(open, past): a proposal for a day already passed is past; a repeat of one already
    listed is dropped."""
    dates = {d.id: d.date for d in documents}
    open_: list[Citation] = []
    past: list[Citation] = []
    for citation in proposals:
        if repeats(citation.quote, [c.quote for c in open_ + past]):
            continue
        written = dates.get(citation.document_id, as_of)
        (past if past_event(citation.quote, written, as_of) else open_).append(citation)
    return open_, past


def in_place(pattern: str, documents: Sequence[DocumentFacts]) -> bool:
    """Any document says this is already done (the request would ask for what exists)."""
    if not pattern:
        return False
    compiled = re.compile(pattern)
    return any(compiled.search(normalize_for_matching(d.text)) for d in documents)


TASK_VERB = re.compile(r"を(?P<verb>[一-龥]{2})(?:する)?$")


def task_noun(task: str) -> str:
    """A ToDo as a letter names it: 「条件案を提示」 → 「条件案のご提示」."""
    body = task.strip().rstrip("。")
    match = TASK_VERB.search(body)
    if match is None:
        return f"「{body}」の件"
    return f"{body[: match.start()]}のご{match.group('verb')}"


REQUEST_LEAD = re.compile(r"お願い(?:したく|いたし|します|でき)")
LIST_ITEM = re.compile(r"^\s*(?:\d+[.．、)）]|[-・*])\s*(?P<body>.+?)\s*$")
REQUEST_TAIL = re.compile(r"(?:を|の)?(?:して)?(?:いただく|頂く)?こと[。]?$|[。]$")


@dataclass(frozen=True)
class OurRequest:
    """What we asked the vendor for in writing, and whether a later vendor document took it up."""

    sent: dt.date
    item: str  # 「成功・失注の通話録音を毎月10本程度ご共有」
    answered: bool


def our_requests(
    documents: Sequence[DocumentFacts], vendor_name: str, *, as_of: dt.date
) -> list[OurRequest]:
    """The numbered or bulleted items after 「…お願いしたく存じます」 in our own e-mails to the
    vendor; answered when a later vendor document shares three content words with one."""
    core = vendor_core_name(vendor_name)
    found: list[OurRequest] = []
    visible = [d for d in documents if d.date <= as_of]
    later_vendor = [d for d in visible if author_of(d, vendor_name) == "vendor"]
    for document in sorted(visible, key=lambda d: (d.date, d.id)):
        if document.kind != "email" or author_of(document, vendor_name) != "client":
            continue
        if core not in "\n".join(document.text.splitlines()[:3]):
            continue  # not addressed to the vendor
        asking = False
        for line in document.text.splitlines():
            if REQUEST_LEAD.search(line):
                asking = True
                continue
            item = LIST_ITEM.match(line)
            if asking and item:
                body = item.group("body").rstrip("。")
                words = _words(REQUEST_TAIL.sub("", body))
                answered = any(
                    d.date > document.date and len(words & _words(d.text)) >= MIN_SHARED_WORDS
                    for d in later_vendor
                )
                found.append(OurRequest(document.date, body, answered))
            elif asking and line.strip() and found:
                asking = False  # the list ended
    return found


SERVICE = re.compile(
    r"^(?P<kind>[^（(「『]+?)\s*[（(][^「『]*[「『](?P<product>[^」』]+)[」』][^）)]*[）)]\s*$"
)


def service_name(service: str) -> str:
    """The engagement's service as a letter names it: 「テレアポ代行（製造業向け … 『ミハリ』）」
    → 「『ミハリ』のテレアポ代行」; as registered, in 「」, otherwise."""
    match = SERVICE.match(service.strip())
    if match is None:
        return "「" + service.strip().translate(str.maketrans("「」", "『』")) + "」"
    return f"『{match.group('product')}』の{match.group('kind').strip()}"


def decision_status(
    decided: Sequence[OpenItem], documents: Sequence[DocumentFacts], today: dt.date
) -> dict[str, str]:
    """For each decision naming a day already past (「条件案を2月中に送付」): whether a later
    document takes it up (three content words shared), so the memo says what to check."""
    written = {d.id: d.date for d in documents}
    status: dict[str, str] = {}
    for item in decided:
        day = written.get(item.document_id, today)
        if not past_event(item.task, day, today):
            continue
        words = _words(item.task)
        later = [
            d
            for d in sorted(documents, key=lambda d: (d.date, d.id))
            if d.date > day and len(words & _words(d.text)) >= MIN_SHARED_WORDS
        ]
        if later:
            status[item.task] = (
                f"期日を過ぎています。{later[0].date.month}月{later[0].date.day}日の"
                f"「{later[0].title}」に関連する記載があります。結果を確認してください"
            )
        else:
            status[item.task] = (
                "期日を過ぎています。その後の文書に記録がないため、実施されたかを確認してください"
            )
    return status
