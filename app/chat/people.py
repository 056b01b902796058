"""「誰」 questions about a side's contact: 「代行会社の担当者は誰？」「後任は誰？」.

Who speaks for a side is written where people name themselves — a report's or an email's
self-introduction (「ミナト営業の山田です」), its signature, the address line of a letter to
the other side (「架空商事 田中様」), a minutes' attendee line — not in the sentence that
best matches the question's words, which is as likely to hold a date. The latest document
names the current contact; an earlier, different name is the one they took over from.
Pure, like `app.chat.offline`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.chat.answers import Evidence, OfflineAnswer, Rules, not_found, source_span, where
from app.chat.classify import Intent
from app.chat.dates import date_label, mentions_month, period_label
from app.chat.segments import Unit
from app.core.facts import DocumentFacts, author_of, vendor_core_name
from app.core.text import SELF_INTRODUCTION, strip_company_affixes
from app.knowledge.chat import fold

Side = Literal["vendor", "client"]
ADDRESS = re.compile(r"(?P<name>[^\s、。,：:]{1,8})\s?(様|さん)(?:\s|$|[（(、])")
INTRODUCTION_UNITS = 8


@dataclass(frozen=True)
class Mention:
    """A person of one side, named in a document by themselves or by the other side."""

    name: str
    unit: Unit


def client_names(evidence: Evidence) -> tuple[set[str], set[str]]:
    """The client's names as the vendor writes them on its letters' address lines
    (「株式会社架空商事 営業部 田中様」→「架空商事」), and their tokens."""
    vendor = evidence.engagement.vendor_name
    names: set[str] = set()
    tokens: set[str] = set()
    for document in evidence.documents:
        if author_of(document, vendor) != "vendor":
            continue
        for unit in evidence.units.get(document.id, ())[:3]:
            head = strip_company_affixes(unit.normalized).split(" ")[0]
            if len(head) >= 2 and not head.endswith(("様", "さん", "御中")):
                names.add(head)
                if not ADDRESS.search(unit.normalized):
                    tokens |= unit.tokens  # a line of its own: only the name
            if ADDRESS.search(unit.normalized):
                break
    core = vendor_core_name(vendor).lower()
    kept = {name for name in names if name != core and not SELF_INTRODUCTION.search(name)}
    return kept, tokens if kept else set()


def _side(intent: Intent, evidence: Evidence, clients: set[str]) -> Side:
    """The side named: by role (代行会社, 当社), by the client's own name, else the vendor's
    (「担当者は誰？」 in a vendor review means the vendor's)."""
    if intent.party is not None:
        return intent.party
    if any(name in intent.normalized for name in clients):
        return "client"
    return "vendor"


def _mentions(
    document: DocumentFacts, units: Sequence[Unit], side: Side, vendor: str
) -> list[Mention]:
    """Names of `side` in one document: its self-introduction or signature when the side
    wrote it, the address line or the side's attendee line when the other side did."""
    wrote = author_of(document, vendor) == side
    found: list[Mention] = []
    core = vendor_core_name(vendor).lower()
    if wrote:
        for unit in units[:INTRODUCTION_UNITS]:
            match = SELF_INTRODUCTION.search(unit.normalized)
            if match and len(unit.normalized) <= 60:
                found.append(Mention(match.group("name"), unit))
        if not found and document.kind == "email":  # a letter's signature; minutes end in ToDo
            for unit in units[-3:]:
                found += [Mention(name, unit) for name in sorted(unit.names)]
        return found
    for unit in units[:INTRODUCTION_UNITS]:
        side_named = core and core in unit.normalized
        if side == "vendor" and not side_named:
            continue
        if side == "client" and side_named:
            continue
        match = ADDRESS.search(unit.normalized)  # the first name is the side's lead
        if match and (match.group("name") in unit.names or side == "vendor"):
            found.append(Mention(match.group("name").split("・")[-1], unit))
    return found


def _handover(
    evidence: Evidence, rules: Rules, writers: set[str]
) -> tuple[DocumentFacts, Mention] | None:
    """The latest sentence about a change of contact that names someone other than the
    people who wrote the documents (「7月1日付で担当を鈴木に交代します」): the successor."""
    found: tuple[DocumentFacts, Mention] | None = None
    for document in sorted(evidence.documents, key=lambda d: (d.date, d.id)):
        if document.date > evidence.as_of:
            continue
        for unit in evidence.units.get(document.id, ()):
            if not rules.event_matches("personnel_change", unit.normalized):
                continue
            named = sorted(
                (unit.normalized.find(name.lower()), name)
                for name in unit.names - writers
                if unit.normalized.find(name.lower()) >= 0
            )
            if named:
                found = (document, Mention(named[0][1], unit))
    return found


def _handover_in(
    evidence: Evidence,
    rules: Rules,
    period: str,
    mentions: Sequence[tuple[DocumentFacts, Mention]],
) -> tuple[DocumentFacts, Mention] | None:
    """「8月から担当になったのは？」: a sentence about a change of contact that names the
    month, and the person it names who is not its own writer."""
    writer = {d.id: m.name for d, m in mentions}
    for document in sorted(evidence.documents, key=lambda d: (d.date, d.id)):
        if document.date > evidence.as_of:
            continue
        for unit in evidence.units.get(document.id, ()):
            if not (
                rules.event_matches("personnel_change", unit.normalized)
                and mentions_month(unit.normalized, period)
            ):
                continue
            named = sorted(
                (unit.normalized.find(name.lower()), name)
                for name in unit.names
                if name != writer.get(document.id) and unit.normalized.find(name.lower()) >= 0
            )
            if named:
                return document, Mention(named[0][1], unit)
    return None


def asks_contact(
    intent: Intent, rules: Rules, names: set[str], name_tokens: frozenset[str] = frozenset()
) -> bool:
    """A who-question whose only topic is a side's role (担当者, 窓口, 後任); a party's
    own name (`names`) says whose, it is not a topic."""
    if intent.kind != "who":
        return False
    people = rules.chat.people
    if not any(fold(word) in intent.normalized for word in people.roles):
        return False
    role_tokens = {fold(word) for word in people.roles} | set(rules.chat.frame_set)
    for name in names:  # 「ノボリテック側の窓口」: the name's tokens, however it splits
        role_tokens |= rules.tokens_of(name)
    # 「最初に」「前任の」「後任の」 say which contact, not what about.
    which = [fold(w) for w in (*people.roles, *people.first, *people.previous, *people.successor)]
    for key in intent.events:
        role_tokens |= rules.event_tokens.get(key, frozenset())
    # 「中原さんのあと、担当になったのは誰？」: a person the question names says whose
    # successor (or predecessor) is asked, not what about.
    topical = [
        t
        for t in intent.terms
        if t not in role_tokens
        and t not in name_tokens
        and t not in intent.names
        and not any(t in name for name in names)
        and not any(t in word for word in which)
    ]
    return not topical


def answer_contact(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer | None:
    """The side's latest named contact, and whom they took over from if the name changed."""
    vendor = evidence.engagement.vendor_name
    clients, client_tokens = client_names(evidence)
    if not asks_contact(
        intent, rules, clients | {vendor_core_name(vendor).lower()}, frozenset(client_tokens)
    ):
        return None
    side = _side(intent, evidence, clients)
    dated = sorted(
        (d for d in evidence.documents if d.date <= evidence.as_of), key=lambda d: (d.date, d.id)
    )
    mentions: list[tuple[DocumentFacts, Mention]] = []
    for document in dated:
        units = evidence.units.get(document.id, ())
        mentions += [(document, m) for m in _mentions(document, units, side, vendor)]
    if not mentions:
        return None
    people = rules.chat.people

    def asked(words: Sequence[str]) -> bool:
        return any(fold(word) in intent.normalized for word in words)

    if asked(people.successor) or "personnel_change" in intent.events:
        handover = _handover(evidence, rules, {m.name for _, m in mentions})
        if handover is not None and handover[0].date >= mentions[-1][0].date:
            document, person = handover
            return OfflineAnswer(
                f"後任は{person.name}さんです[1]。\n「{person.unit.quote.strip()}」"
                f"（{where(document, rules.vocabulary)}）",
                (source_span(document, person.unit.start, person.unit.end),),
                True,
                intent.kind,
                {"document_id": str(document.id)},
            )
    if intent.time.periods:
        started = _handover_in(evidence, rules, min(intent.time.periods), mentions)
        if started is not None:
            document, person = started
            return OfflineAnswer(
                f"{period_label(min(intent.time.periods))}から担当しているのは{person.name}さんです[1]。"
                f"\n「{person.unit.quote.strip()}」（{where(document, rules.vocabulary)}）",
                (source_span(document, person.unit.start, person.unit.end),),
                True,
                intent.kind,
                {"document_id": str(document.id)},
            )
    chosen = len(mentions) - 1  # the current contact
    if asked(people.first):
        chosen = 0
    elif asked(people.previous) and not asked(people.successor):
        current = mentions[-1][1].name
        chosen = max((i for i, (_, m) in enumerate(mentions) if m.name != current), default=0)
    elif intent.time.periods:
        # 「8月から担当になったのは？」: the first new name from that month on.
        period = min(intent.time.periods)
        seen = {m.name for d, m in mentions if d.date.strftime("%Y-%m") < period}
        later = [i for i, (d, _) in enumerate(mentions) if d.date.strftime("%Y-%m") >= period]
        new = [i for i in later if mentions[i][1].name not in seen]
        chosen = (new or later or [chosen])[0]
    document, person = mentions[chosen]
    party = (
        vendor_core_name(vendor)
        if side == "vendor"
        else next((name for name in sorted(clients) if name in intent.normalized), "御社側")
    )
    citations = [source_span(document, person.unit.start, person.unit.end)]
    text = (
        f"{party}のご担当は{person.name}さんです[1]"
        f"（{where(document, rules.vocabulary)}）。\n「{person.unit.quote.strip()}」"
    )
    first = next(((d, m) for d, m in mentions if m.name == person.name), None)
    if first is not None and first[0].id != document.id:
        citations.append(source_span(first[0], first[1].unit.start, first[1].unit.end))
        text += f"\n{date_label(first[0].date)}の資料から名前が出ています[2]。"
    others = [m for _, m in mentions[:chosen] if m.name != person.name]
    if others and chosen == len(mentions) - 1:
        previous = others[-1]
        citations.append(
            source_span(previous.unit.document, previous.unit.start, previous.unit.end)
        )
        text += (
            f"\nそれ以前は{previous.name}さんが担当していました[{len(citations)}]"
            f"（{where(previous.unit.document, rules.vocabulary)}）。"
        )
    return OfflineAnswer(
        text,
        tuple(citations),
        True,
        intent.kind,
        {"document_id": str(document.id), "person": person.name},
    )


def answer_full_name(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer | None:
    """「担当者のフルネームは？」「石田さんの下の名前は？」: the person named (or the side's
    contact), with the given name from a line that writes it in full (a signature); when no
    document writes it, that is said, rather than quoting a line with the surname only."""
    if not any(fold(word) in intent.normalized for word in rules.chat.people.full_name):
        return None
    name = intent.names[0] if intent.names else None
    if name is None:
        contact = answer_contact(intent, evidence, rules)
        name = str(contact.context.get("person", "")) if contact is not None else None
    if not name:
        return None
    written = re.compile(
        rf"(?:^|\s){re.escape(name.lower())}[\s　]+(?P<given>[^\s、。()（）]{{1,4}})$"
    )
    found: tuple[DocumentFacts, Unit, str] | None = None
    for document in sorted(evidence.documents, key=lambda d: (d.date, d.id)):
        if document.date > evidence.as_of:
            continue
        for unit in evidence.units.get(document.id, ()):
            match = written.search(unit.normalized.strip())
            if match:
                found = (document, unit, unit.quote.strip())
    if found is None:
        return not_found(
            evidence,
            intent,
            f"{name}さんの下の名前（フルネーム）は、登録されている資料に見当たりません。",
        )
    document, unit, quote = found
    return OfflineAnswer(
        f"フルネームは{quote}さんです[1]（{where(document, rules.vocabulary)}）。\n「{quote}」",
        (source_span(document, unit.start, unit.end),),
        True,
        intent.kind,
        {"document_id": str(document.id), "person": name},
    )
