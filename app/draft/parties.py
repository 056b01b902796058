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
from app.core.vocabulary import PARTY_FIELDS

NAME_FIELDS = PARTY_FIELDS[:5]  # the names; the rest are the sign-off's details
PARTY_LABELS = {
    "client_company": "自社名",
    "client_department": "自社の部署",
    "client_contact": "自社の担当者",
    "vendor_department": "代行会社の部署",
    "vendor_contact": "代行会社の担当者",
    "client_title": "自社の担当者の役職",
    "client_phone": "自社の電話番号",
    "client_email": "自社のメールアドレス",
}
# What a letter shows for a field nobody entered or the documents do not say: bracketed so
# the sender notices and fills it in before sending, never a blank or 「＿＿＿」.
PLACEHOLDERS = {
    "client_company": "【自社名】",
    "client_department": "【部署名】",
    "client_contact": "【担当者名】",
    "vendor_department": "【ご所属】",
    "vendor_contact": "【ご担当者名】",
    "client_title": "",
    "client_phone": "【電話番号】",
    "client_email": "【メールアドレス】",
}
# Words after a surname in a signature or minutes that are a title, not a given name.
TITLES = re.compile(
    r"^(部長|課長|係長|主任|次長|室長|本部長|社長|取締役|マネージャー|リーダー|担当|様)$"
)
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
    client_title: str | None = None
    client_phone: str | None = None
    client_email: str | None = None
    suggested: frozenset[str] = field(default_factory=frozenset)
    # the vendor's other addressee of our latest e-mail to it (「桑原様、三好様」 → 三好様):
    # the letter is copied to them; read from the documents, never stored
    vendor_cc: str | None = None

    def _value(self, name: str) -> str:
        value: str | None = getattr(self, name)
        return value or PLACEHOLDERS[name]

    @property
    def addressee_lines(self) -> list[str]:
        """「株式会社ヒビキコネクト」, then 「営業部　小野寺 健太様」; what is unknown is a
        placeholder the sender sees (【ご所属】, 【ご担当者名】), never 「ご担当者様」."""
        person = self._value("vendor_contact") + "様"
        return [self.vendor_name, f"{self._value('vendor_department')}　{person}"]

    @property
    def salutation(self) -> str:
        """The addressee in one line, as in 「株式会社〇〇 営業部 藤田様」."""
        return "　".join(self.addressee_lines)

    @property
    def sender_lines(self) -> list[str]:
        """Our company, then department and person: the letter's sender and our attendees."""
        title = f"{self.client_title}　" if self.client_title else ""
        person = f"{self._value('client_department')}　{title}{self._value('client_contact')}"
        return [self._value("client_company"), person]

    @property
    def contact_lines(self) -> list[str]:
        """The letter's sign-off: who to contact and how (a placeholder for a telephone or
        e-mail nobody entered)."""
        details = f"TEL：{self._value('client_phone')}　E-mail：{self._value('client_email')}"
        return ["　".join(self.sender_lines), details]

    @property
    def vendor_person(self) -> str:
        """How the agenda lists the vendor's attendee: 「小野寺様」, or 【ご担当者名】様."""
        return self._value("vendor_contact") + "様"

    @property
    def missing(self) -> list[str]:
        return [PARTY_LABELS[name] for name in NAME_FIELDS if not getattr(self, name)]


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
            found["client_contact"] = _person(following)
    return found


def _person(line: str) -> str:
    """「安田 健一」 whole; 「安田 部長」 → 「安田」 (a title is no given name)."""
    words = line.split()
    return " ".join(words[:2]) if len(words) > 1 and not TITLES.match(words[1]) else words[0]


def _vendor_signature(document: DocumentFacts, vendor_core: str) -> dict[str, str]:
    """The vendor's own signature: its company line, an optional department, the full name."""
    tail = [line for line in _lines(document.text.strip()) if line][-SIGNATURE_LINES:]
    for index, line in enumerate(tail):
        if not vendor_core or vendor_core not in line or not COMPANY.search(line):
            continue
        found: dict[str, str] = {}
        rest = [word for word in line.split() if vendor_core not in word]
        after = tail[index + 1 :]
        if after and DEPARTMENT.search(after[0]) and not PERSON.match(after[0]):
            rest, after = [after[0]], after[1:]
        if rest and DEPARTMENT.search(rest[-1]):
            found["vendor_department"] = rest[-1]
        if after and PERSON.match(after[0]):
            found["vendor_full_name"] = _person(after[0])
        return found
    return {}


def suggest_parties(
    parties: Parties, documents: Sequence[DocumentFacts], *, client_company: str | None = None
) -> Parties:
    """Fill what the user left empty from the newest documents that say it."""
    vendor_core = vendor_core_name(parties.vendor_name)
    guesses: dict[str, str] = {}
    signers: list[tuple[str, str | None]] = []  # (full name, department), newest first
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
            signed = _vendor_signature(document, vendor_core)
            if "vendor_full_name" in signed:
                signers.append((signed["vendor_full_name"], signed.get("vendor_department")))
        elif document.kind == "email":
            for key, value in _from_signature(document, vendor_core).items():
                guesses.setdefault(key, value)
    _sign_with_full_name(guesses, signers, stored=parties.vendor_contact)
    contact = parties.client_contact or guesses.get("client_contact")
    if contact and not parties.client_department and "client_department" not in guesses:
        department = _department_in_minutes(contact, newest, parties.vendor_name)
        if department:
            guesses["client_department"] = department
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
    contact_name = parties.vendor_contact or updates.get("vendor_contact")
    return replace(
        parties,
        **updates,
        suggested=frozenset(updates),
        vendor_cc=_copied(newest, parties.vendor_name, vendor_core, contact_name),
    )


CO_ADDRESSEES = re.compile(r"^\s*(?P<names>[一-龥々]{1,4}様(?:[、，,]\s*[一-龥々]{1,4}様)+)\s*$")


def _copied(
    newest: Sequence[DocumentFacts], vendor_name: str, vendor_core: str, contact: str | None
) -> str | None:
    """The other people our newest e-mail to the vendor was addressed to, with 様."""
    if not contact or not vendor_core:
        return None
    surname = contact.split()[0]
    for document in newest:
        if document.kind != "email" or author_of(document, vendor_name) == "vendor":
            continue
        head = _lines(document.text.strip())[:3]
        if not any(vendor_core in line for line in head):
            continue
        for line in head:
            match = CO_ADDRESSEES.match(line)
            if match and f"{surname}様" in match.group("names"):
                others = [
                    n.strip()
                    for n in re.split(r"[、，,]", match.group("names"))
                    if n.strip() != f"{surname}様"
                ]
                return "、".join(others) or None
        return None
    return None


def _sign_with_full_name(
    guesses: dict[str, str], signers: Sequence[tuple[str, str | None]], *, stored: str | None
) -> None:
    """The vendor's contact by full name when a signature gives it (「真鍋 遥」 for the 真鍋 who
    introduces themself), with the department that signature names; no introduction at all:
    the newest signer. A name the user stored is never replaced."""
    if stored:
        return
    surname = guesses.get("vendor_contact")
    for full_name, department in signers:
        if surname is None or full_name.split()[0] == surname:
            guesses["vendor_contact"] = full_name
            if department:
                guesses.setdefault("vendor_department", department)
            return


def _department_in_minutes(
    contact: str, documents: Sequence[DocumentFacts], vendor_name: str
) -> str | None:
    """Our minutes list attendees with their department: 「安田（製造ソリューション営業部 部長）」."""
    surname = contact.split()[0]
    attendee = re.compile(
        re.escape(surname) + r"[^\S\n]*[（(](?P<department>[^（）()\s、,]{2,20}?"
        r"(?:部|課|室|グループ|チーム|本部|事業部|センター))(?=[\s　）)、,])"
    )
    for document in documents:
        if document.kind != "meeting_notes" or author_of(document, vendor_name) != "client":
            continue
        match = attendee.search(document.text)
        if match:
            return match.group("department")
    return None
