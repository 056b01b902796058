"""Read and save an engagement's parties (the names drafts address and sign with).

The only database code of the parties: what is stored comes first, and what is missing is
suggested from the documents (`app.draft.parties.suggest_parties`) and marked as suggested,
so the form can show it for the user to confirm or correct.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field

from app.analyse.service import engagement_facts
from app.container import Container
from app.core.facts import DocumentFacts
from app.core.vocabulary import PARTY_FIELDS
from app.draft.parties import Parties, suggest_parties
from app.store import repository

MAX_PARTY_CHARS = 200


class PartiesIn(BaseModel):
    """The parties a draft names; an empty value clears the field (and lets a suggestion show)."""

    client_company: str | None = Field(default=None, max_length=MAX_PARTY_CHARS)
    client_department: str | None = Field(default=None, max_length=MAX_PARTY_CHARS)
    client_contact: str | None = Field(default=None, max_length=MAX_PARTY_CHARS)
    vendor_department: str | None = Field(default=None, max_length=MAX_PARTY_CHARS)
    vendor_contact: str | None = Field(default=None, max_length=MAX_PARTY_CHARS)
    client_title: str | None = Field(default=None, max_length=MAX_PARTY_CHARS)
    client_phone: str | None = Field(default=None, max_length=MAX_PARTY_CHARS)
    client_email: str | None = Field(default=None, max_length=MAX_PARTY_CHARS)


class PartiesOut(PartiesIn):
    vendor_name: str
    suggested: list[str] = Field(description="文書から推定した項目（保存されていない）")


def _clean(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def stored_parties(container: Container, engagement_id: int) -> Parties:
    with container.session_factory() as session:
        row = repository.require_engagement(session, engagement_id)
        return Parties(
            vendor_name=row.vendor.name,
            **{name: getattr(row, name) for name in PARTY_FIELDS},
        )


def parties_for(
    container: Container, engagement_id: int, documents: Sequence[DocumentFacts]
) -> Parties:
    """Stored values, with the gaps filled from the documents."""
    return suggest_parties(stored_parties(container, engagement_id), documents)


def parties_out(parties: Parties) -> PartiesOut:
    return PartiesOut(
        vendor_name=parties.vendor_name,
        suggested=sorted(parties.suggested),
        **{name: getattr(parties, name) for name in PARTY_FIELDS},
    )


def get_parties(*, container: Container, engagement_id: int) -> PartiesOut:
    _engagement, documents = engagement_facts(container, engagement_id)
    return parties_out(parties_for(container, engagement_id, documents))


def save_parties(
    *, container: Container, engagement_id: int, values: Mapping[str, str | None]
) -> PartiesOut:
    """Store the given fields (others unchanged); blank clears."""
    with container.session_factory() as session:
        row = repository.require_engagement(session, engagement_id)
        for name in PARTY_FIELDS:
            if name in values:
                setattr(row, name, _clean(values[name]))
        session.commit()
    return get_parties(container=container, engagement_id=engagement_id)
