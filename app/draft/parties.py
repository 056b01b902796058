"""Who a draft is from and to: our company, department and contact; the vendor's contact.

Pure code. The engagement stores what the user entered (migration 0008); what is missing is
suggested from the documents, the way a person reading them would: the vendor's writer
introduces themself (「ヒビキコネクトの小野寺です」), its reports are addressed to us
(「株式会社アサギ精機 / 製造ソリューション営業部 安田様」), and our own e-mails are signed
(「株式会社アサギ精機 / 製造ソリューション営業部 安田」).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from app.core.facts import DocumentFacts, author_of, vendor_core_name
from app.core.text import line_spans, self_introduction, strip_company_affixes

PARTY_FIELDS = (
    "client_company",
    "client_department",
    "client_contact",
    "vendor_department",
    "vendor_contact",
)
PARTY_LABELS = {
    "client_company": "自社名",
    "client_department": "自社の部署",
    "client_contact": "自社の担当者",
    "vendor_department": "代行会社の部署",
    "vendor_contact": "代行会社の担当者",
}
PLACEHOLDER_COMPANY = "〔自社名〕"
HEAD_LINES = 4
SIGNATURE_LINES = 3
ADDRESSEE = re.compile(r"(?P<name>[^\s、。,：:・（(]{1,6})様")
COMPANY = re.compile(
    r"(?:株式会社|有限会社|合同会社)\s?[^\s　]{1,30}|[^\s　]{1,30}\s?(?:株式会社|有限会社|合同会社)"
)
DEPARTMENT = re.compile(r"[^\s　]{1,20}(?:部|課|室|グループ|チーム|本部|事業部|センター)$")
PERSON = re.compile(r"^[一-龥々ヶ]{1,4}(?:[ 　][一-龥々ぁ-んァ-ヴー]{1,4})?$")


@dataclass(frozen=True)
class Parties:
    """The names a letter needs; `suggested` lists the fields taken from the documents."""

    vendor_name: str
    client_company: str | None = None
    client_department: str | None = None
    client_contact: str | None = None
    vendor_department: str | None = None
    vendor_contact: str | None = None
    suggested: frozenset[str] = field(default_factory=frozenset)

    @property
    def addressee_lines(self) -> list[str]:
        """「株式会社ヒビキコネクト」, then 「営業部　小野寺様」 (ご担当者様 only when no one is known)."""
        person = f"{self.vendor_contact}様" if self.vendor_contact else "ご担当者様"
        second = f"{self.vendor_department}　{person}" if self.vendor_department else person
        return [self.vendor_name, second]

    @property
    def salutation(self) -> str:
        """The addressee in one line, as in 「株式会社〇〇 営業部 藤田様」."""
        return "　".join(self.addressee_lines)

    @property
    def sender_lines(self) -> list[str]:
        company = self.client_company or PLACEHOLDER_COMPANY
        person = "　".join(p for p in (self.client_department, self.client_contact) if p)
        return [company, person] if person else [company]

    @property
    def vendor_person(self) -> str:
        """How the agenda lists the vendor's attendee: 「小野寺様」, or 「ご担当者様」."""
        return f"{self.vendor_contact}様" if self.vendor_contact else "ご担当者様"

    @property
    def missing(self) -> list[str]:
        return [PARTY_LABELS[name] for name in PARTY_FIELDS if not getattr(self, name)]


def _lines(text: str) -> list[str]:
    return [text[start:end].strip() for start, end in line_spans(text)]


def _head(document: DocumentFacts) -> list[str]:
    """The address block: the first lines up to the first blank line."""
    block: list[str] = []
    for line in _lines(document.text.strip())[:HEAD_LINES]:
        if not line:
            break
        block.append(line)
    return block


def _company_in(line: str, vendor_core: str) -> str | None:
    match = COMPANY.search(line)
    if match is None or vendor_core in match.group(0):
        return None
    return match.group(0).strip()


def _from_address(block: Sequence[str], vendor_core: str) -> dict[str, str]:
    """The vendor's letter to us: our company, department and the first person addressed."""
    found: dict[str, str] = {}
    for line in block:
        if vendor_core and vendor_core in line:
            return {}  # addressed to the vendor: not ours
        company = _company_in(line, vendor_core)
        rest = line
        if company:
            found.setdefault("client_company", company)
            rest = line.replace(company, "").strip()
        match = ADDRESSEE.search(rest)
        if match is None:
            continue
        found.setdefault("client_contact", match.group("name"))
        before = rest[: match.start()].strip().split()
        if before and DEPARTMENT.search(before[-1]):
            found.setdefault("client_department", before[-1])
            before = before[:-1]
        if before and not company and len(before[0]) >= 2:
            found.setdefault("bare_company", before[0])  # 「ミドリ環境システム 堀江様」
        break
    return found


def _from_signature(document: DocumentFacts, vendor_core: str) -> dict[str, str]:
    """Our own e-mail's signature: company (and department) line, then the person."""
    tail = [line for line in _lines(document.text.strip()) if line][-SIGNATURE_LINES:]
    found: dict[str, str] = {}
    for index, line in enumerate(tail):
        company = _company_in(line, vendor_core)
        if not company:
            continue
        found["client_company"] = company
        rest = line.replace(company, "").strip()
        following = tail[index + 1] if index + 1 < len(tail) else ""
        words = following.split()
        if len(words) >= 2 and DEPARTMENT.search(words[0]):
            rest, following = words[0], " ".join(words[1:])
        if rest and DEPARTMENT.search(rest):
            found["client_department"] = rest
        if following and PERSON.match(following):
            found["client_contact"] = following.split()[0]
    return found


def suggest_parties(
    parties: Parties, documents: Sequence[DocumentFacts], *, client_company: str | None = None
) -> Parties:
    """Fill what the user left empty from the newest documents that say it."""
    vendor_core = vendor_core_name(parties.vendor_name)
    guesses: dict[str, str] = {}
    newest = sorted(documents, key=lambda d: (d.date, d.id), reverse=True)
    for document in newest:
        vendor_side = author_of(document, parties.vendor_name) == "vendor"
        if vendor_side and "vendor_contact" not in guesses:
            for line in _lines(document.text.strip())[:8]:
                introduced = self_introduction(line)
                if introduced and vendor_core and vendor_core in introduced[0]:
                    guesses["vendor_contact"] = introduced[1]
                    break
        if vendor_side:
            for key, value in _from_address(_head(document), vendor_core).items():
                guesses.setdefault(key, value)
        elif document.kind == "email":
            for key, value in _from_signature(document, vendor_core).items():
                guesses.setdefault(key, value)
    if client_company:
        guesses.setdefault("client_company", client_company)
    bare = guesses.pop("bare_company", None)
    if bare:  # a name without 株式会社 only when no document gives the full one
        guesses.setdefault("client_company", bare)
    if "client_company" in guesses and not re.search(
        "株式会社|有限会社|合同会社", guesses["client_company"]
    ):
        guesses["client_company"] = strip_company_affixes(guesses["client_company"])
    updates = {
        name: guesses[name]
        for name in PARTY_FIELDS
        if not getattr(parties, name) and name in guesses
    }
    return replace(parties, **updates, suggested=frozenset(updates))
