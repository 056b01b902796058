"""Attendees as a letter lists them: each with the title our minutes give, in rank order.

Pure code over our minutes' attendee lists (「安田（製造ソリューション営業部 部長）、森下（同
主任）」, 「安田部長」, 「大塚（営業本部長）」): the fullest title any minutes give a person,
「同」 (the same department as the one before) dropped; our side sorted by rank word
(`RANKS`, highest first), people without one after them in the minutes' order. The vendor's
people keep their order and get their role when the minutes give one (「桑原様（SV）」).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.core.facts import DocumentFacts
from app.draft.framing import _attendee_parts, _minutes

# highest first; a longer word before the one it contains (本部長 before 部長)
RANKS = ("社長", "取締役", "本部長", "部長", "次長", "室長", "課長", "係長", "主任")
TITLED = re.compile(
    r"(?P<name>[一-龥々]{1,4})(?P<honorific>様)?(?:[（(](?P<note>[^（）()]+)[)）])?"
)


def _titles(documents: Sequence[DocumentFacts], vendor_name: str) -> dict[str, str]:
    """Each attendee's fullest title over every minutes (with 様 for the vendor's people)."""
    titles: dict[str, str] = {}
    for document in _minutes(documents, vendor_name):
        for part in _attendee_parts(document):
            body = re.split(r"[：:]", part, maxsplit=1)[-1]
            for found in TITLED.finditer(body):
                name, note = found.group("name"), (found.group("note") or "").strip()
                for rank in RANKS:  # 「安田部長」: the title written after the name
                    if (
                        not found.group("honorific")
                        and name.endswith(rank)
                        and len(name) > len(rank)
                    ):
                        name, note = name[: -len(rank)], note or rank
                        break
                note = re.sub(r"^同[\s　]*", "", note)
                key = f"{name}様" if found.group("honorific") else name
                if len(note) > len(titles.get(key, "")):
                    titles[key] = note
    return titles


def _rank(title: str) -> int:
    return next((i for i, word in enumerate(RANKS) if word in title), len(RANKS))


def with_titles(
    names: Sequence[str], documents: Sequence[DocumentFacts], vendor_name: str, *, ours: bool
) -> list[str]:
    """「大塚（営業本部長）」「堀江（西日本営業課 課長）」「中川」: our side by rank."""
    titles = _titles(documents, vendor_name)
    shown = [(name, titles.get(name, "")) for name in names]
    if ours:
        shown.sort(key=lambda pair: _rank(pair[1]))
    return [f"{name}（{title}）" if title else name for name, title in shown]
