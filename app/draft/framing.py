"""How a draft frames the period and quotes the vendor as a careful colleague would.

Pure code. A month at the target's level (`met_tolerance`, e.g. 95 %) is no miss; a KPI that
grew month by month on an agreed ramp-up (the vendor's plan, our minutes' 「順調」) is judged
by its trend, not by the flat average. A vendor proposal is listed as a paraphrase (plain
pronouns, plain endings, no 〔〕), and our own staff never get 「様」 (what still stands of
earlier proposals, decisions and requests is `standing.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from app.analyse.models import Citation
from app.core.facts import DocumentFacts, author_of
from app.core.normalize import normalize_for_matching
from app.core.text import sentence_spans
from app.draft.audience import Readers
from app.draft.context_vendor import Figure, clause_citation
from app.knowledge.drafts import VendorText

PLAN_WORDS = re.compile(r"見込|計画|予定")
DIGIT = re.compile(r"\d")
ATTENDEES = re.compile(r"出席者[:：]?\s*(?P<rest>(?:.*\n?){1,4})")
NAME = re.compile(r"(?P<name>[一-龥々]{1,4})(?:[（(][^（）()]*[)）])?(?=[、,，\s]|$)")
OUR_TITLE = re.compile(r"(?:本部長|部長|課長|係長|主任|次長|室長|社長|取締役)$")
HONORIFIC_NAME = re.compile(r"(?P<name>[一-龥々]{1,4})様")
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
    """The surnames of one side's attendees, a title written after one dropped (「安田部長」
    → 「安田」: a text from us never gives our own people a title as an honorific)."""
    named = re.split(r"[：:]", part, maxsplit=1)
    body = named[-1]
    tokens = body.split()
    if len(named) == 1 and len(tokens) > 1 and "、" not in tokens[0]:
        body = " ".join(tokens[1:])  # 「キタハラ物産 森川部長、平田」: the company first
    return [OUR_TITLE.sub("", m.group("name")) or m.group("name") for m in NAME.finditer(body)]


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


OUR_GROUP_HONOURED = re.compile(r"((?:当社|社内)[^、。（）()「」『』]{0,12}?)の皆様")


def without_our_honorifics(text: str, staff: Iterable[str]) -> str:
    """「白石様」 for one of our own people reads 「白石」 in a text from us, and 「社内ISの皆様」
    reads 「社内IS」."""
    for name in staff:
        text = text.replace(f"{name}様", name)
    return OUR_GROUP_HONOURED.sub(r"\1", text)


REQUEST_TO_US = re.compile(r"ください|いただけますと|いただけます(?:で)?しょうか|幸いです|お願い")
LABELLED = re.compile(r"^(?P<label>[^：:。、]{2,30})[：:](?P<rest>.+)$")


def short_item(text: str, rules: VendorText, staff: Iterable[str]) -> str | None:
    """A vendor proposal with no plain form as a short item: its requests to us dropped
    (「…ご確認いただけますと幸いです」), a labelled line as 「label（what）」 with our pronouns
    plain (「資料請求直後の即時架電（当社のMAツールと連携し、…架電する運用）」), else its first
    sentence made plain; None when nothing is left."""
    sentences = [s for s in re.split(r"(?<=[。！？])", text.strip()) if s.strip()]
    kept = [s for s in sentences if not REQUEST_TO_US.search(s)]
    if not kept:
        return None
    first = kept[0].strip()
    labelled = LABELLED.match(first.rstrip("。"))
    if labelled:
        rest = labelled.group("rest")
        rest = (
            paraphrase(rest, rules, staff, extra=rules.listed_endings)
            or paraphrase(rest, rules, staff, endings=False)
            or ""
        )
        return f"{labelled.group('label').strip()}（{rest.strip()}）" if rest else None
    return paraphrase(first, rules, staff)


def listed(text: str, rules: VendorText, staff: Iterable[str]) -> str | None:
    """A vendor proposal as a list from us names it: a labelled line 「label：what」 as
    「label（what）」, else its paraphrase, else its short form."""
    first = text.strip().split("。", 1)[0]
    if LABELLED.match(first):
        return short_item(text, rules, staff)
    return paraphrase(text, rules, staff) or short_item(text, rules, staff)


def paraphrase(
    text: str,
    rules: VendorText,
    staff: Iterable[str],
    *,
    endings: bool = True,
    extra: Sequence[tuple[str, str]] = (),
) -> str | None:
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
    if not endings:  # only the pronouns and our staff made plain
        return shown.strip()
    plain_forms = [(re.compile(p), r) for p, r in (*extra, *rules.plain_endings)]
    if not plain_forms:
        return None
    sentences = [s for s in re.split(r"(?<=[。！？])", shown.strip()) if s.strip()]
    plain: list[str] = []
    for sentence in sentences:
        body = sentence.rstrip("。！？ 　")
        tail = TRAILING_NOTE.search(body)
        note = tail.group(0) if tail else ""
        body = body[: len(body) - len(note)]
        for pattern, replacement in plain_forms:
            if pattern.search(body):
                plain.append(pattern.sub(replacement, body) + note)
                break
        else:
            return None  # no plain form known: quoted as written
    return "。".join(plain)


TASK_VERB = re.compile(r"を(?:まとめて|整理して|あらためて)?(?P<verb>[一-龥]{2})(?:する)?$")
TASK_WHEN = re.compile(r"^\d{1,2}月の(?:定例|会議|打ち合わせ)で、?")  # said by the due label


LEAD_WHEN = re.compile(r"^(?:\d{1,2}月(?:以降|から)は?|来月から|今後は)、")


def undated(text: str) -> str:
    """A proposal already decided for the next term, without its old time phrase (「4月以降は、
    受注件数を…」 read in December)."""
    return LEAD_WHEN.sub("", text)


def task_noun(task: str) -> str:
    """A ToDo as a letter names it: 「条件案を提示」 → 「条件案のご提示」, 「10月の定例で、反応を
    まとめて報告」 → 「反応のご報告」."""
    body = task.strip().rstrip("。")
    if TASK_VERB.search(body):
        body = TASK_WHEN.sub("", body)
    match = TASK_VERB.search(body)
    if match is None:
        return body  # as written (in 「」 it would read as a quote of our minutes)
    return f"{body[: match.start()]}のご{match.group('verb')}"


SERVICE = re.compile(
    r"^(?P<kind>[^（(「『]+?)\s*[（(][^「『]*[「『](?P<product>[^」』]+)[」』][^）)]*[）)]\s*$"
)


PLAIN_SERVICE = re.compile(r"^(?P<kind>[^（(「『]+?)\s*[（(](?P<what>[^（）()「『]+)[）)]\s*$")


def service_name(service: str) -> str:
    """The engagement's service as a letter names it: 「テレアポ代行（製造業向け … 『ミハリ』）」
    → 「『ミハリ』のテレアポ代行」; as registered, in 「」, otherwise."""
    match = SERVICE.match(service.strip())
    plain = PLAIN_SERVICE.match(service.strip())
    if match is None and plain is not None:  # 「インサイドセールス代行（中小企業向け…SaaS）」
        return f"{plain.group('what').strip()}の{plain.group('kind').strip()}"
    if match is None:
        return "「" + service.strip().translate(str.maketrans("「」", "『』")) + "」"
    return f"『{match.group('product')}』の{match.group('kind').strip()}"
