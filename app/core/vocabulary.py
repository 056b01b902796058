"""The shared vocabulary: signal keys, document kinds and draft kinds with their labels.

Built once by the knowledge registry from knowledge/ and prompts/drafts/, so a new signal or
document kind is added in the data and every page, chat answer and draft gets its label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

DocumentKind = Literal["vendor_report", "meeting_notes", "email"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = get_args(DocumentKind)

DraftKind = Literal["agenda", "agenda_external", "memo", "proposal_request"]
DRAFT_KINDS: tuple[DraftKind, ...] = get_args(DraftKind)

SignalKey = Literal[
    "proactivity", "communication", "dependency", "personnel_change", "expectation_gap"
]
SIGNAL_KEYS: tuple[SignalKey, ...] = get_args(SignalKey)
# Every key of knowledge/signals.yaml: the signals above, stagnation (the phase reads it) and
# the client-side causes.
SignalSource = Literal[SignalKey, "stagnation", "internal_factors"]
SIGNAL_SOURCES: tuple[SignalSource, ...] = get_args(SignalSource)

# Signals judged good/concern (the others are present/absent); the order pages show them in.
STATUS_SIGNALS: tuple[SignalKey, ...] = ("proactivity", "communication", "dependency")

# The engagement's party fields (its columns, the form, scenario files, the drafts' headers
# and sign-offs): the five names first, then the sign-off's details.
PARTY_FIELDS: tuple[str, ...] = (
    "client_company",
    "client_department",
    "client_contact",
    "vendor_department",
    "vendor_contact",
    "client_title",
    "client_phone",
    "client_email",
)


@dataclass(frozen=True)
class Vocabulary:
    """Labels by key; `label` falls back to the key so a missing label never hides data."""

    signals: Mapping[str, str]
    document_kinds: Mapping[str, str]
    draft_kinds: Mapping[str, str]

    def signal_label(self, key: str) -> str:
        return self.signals.get(key, key)

    def document_kind_label(self, kind: str) -> str:
        return self.document_kinds.get(kind, kind)

    def draft_kind_label(self, kind: str) -> str:
        return self.draft_kinds.get(kind, kind)
