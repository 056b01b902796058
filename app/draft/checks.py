"""What a stored or edited draft is checked for: required headings, markers, the memo's decision.

Pure code: the document texts are passed in, so the page, the preview and the evaluation
script apply the same checks.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import get_args

from app.analyse.models import DECISION_LABELS, DecisionKind
from app.core.text import is_greeting, sentence_spans, strip_marker
from app.core.vocabulary import DraftKind
from app.draft.citations import (
    MARKER,
    DraftCitation,
    citation_problems,
    markers_in,
    missing_sections,
    used_citations,
)
from app.draft.context_vendor import states_value
from app.draft.parties import PLACEHOLDERS
from app.knowledge.drafts import DraftConfig
from app.renewals.timeline import is_business_day

DECISION_BY_LABEL: dict[str, DecisionKind] = {
    DECISION_LABELS[kind]: kind for kind in get_args(DecisionKind)
}
# Longest label first, so 「更新しない」 is never read as 「更新」.
DECISION_LINE = re.compile(
    r"判断：\s*\**\s*("
    + "|".join(re.escape(label) for label in sorted(DECISION_BY_LABEL, key=len, reverse=True))
    + ")"
)


def memo_decision(markdown: str) -> DecisionKind | None:
    """The decision the memo's 「判断：」 line states, if it has one."""
    match = DECISION_LINE.search(markdown)
    return DECISION_BY_LABEL.get(match.group(1)) if match else None


def draft_problems(
    *,
    kind: DraftKind,
    markdown: str,
    citations: Sequence[DraftCitation],
    texts: Mapping[int, str],
    config: DraftConfig,
    decision: DecisionKind | None,
) -> list[str]:
    """Japanese warnings; `texts` holds the cited documents' text by id."""
    problems = [
        f"必須の見出し「{title}」がありません。"
        for title in missing_sections(markdown, config.kind(kind).required_sections)
    ]
    problems += citation_problems(markdown, citations, texts)
    problems += [f"文章の確認：{problem}" for problem in text_defects(markdown)]
    problems += courtesy_citations(markdown, citations)
    unfilled = unfilled_placeholders(markdown)
    if unfilled and config.audiences.of(kind) == "external":  # what leaves the company
        problems.append(f"送る前に{'・'.join(unfilled)}を書き換えてください。")
    if kind == "memo" and memo_decision(markdown) is None:
        problems.append("「判断：」の行がありません。")
    elif kind == "memo" and decision is not None and memo_decision(markdown) != decision:
        problems.append("本文の判断と記録された判断が一致しません。")
    return problems


# --- what a careful reader would object to (issue 12): the lint behind the evaluation ------

DOUBLED = re.compile(r"」」|「「|』』|。。|、。|。、|（）|「」")
PROPOSED_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日（[月火水木金土日]）")
NUMBER_CITED = re.compile(r"(\d[\d,]*(?:\.\d+)?)(%|円|件)?((?:\[\d{1,4}\])+)")
QUOTED = re.compile(r"「([^「」]{8,})」")
QUOTE_SPAN = re.compile(r"「[^「」]*」")
DUE_WRITTEN = re.compile(r"期限：(\d{4})年(\d{1,2})月(?:(\d{1,2})日|末)")
OVERDUE_SAID = re.compile(r"期限超過|期限を過ぎ|\d+日経過")  # 「（13日経過）」 says it too
PLACEHOLDER = re.compile(r"【[^【】\n]{1,12}】")
_PLACEHOLDER_WORDS = frozenset(
    word for value in PLACEHOLDERS.values() for word in PLACEHOLDER.findall(value)
)
# 「月平均30.3で」: an average a reader cannot place without its unit (件, %, 円 …)
BARE_AVERAGE = re.compile(
    r"平均(\d[\d,]*(?:\.\d+)?)(?![\d.,]|%|％|件|円|万|か月|ヶ月|日|回|人|名|社|時間|分|倍|点|ポイント)"
)
# 「（懸念 13 件、良い兆候 14 件）」: tallies of matched sentences, which no reader can weigh
HIT_TALLY = re.compile(r"[（(](?:根拠|懸念|良い兆候)\s*\d+\s*件")
_PREDICATE_END = re.compile(r"[ぁ-ん！？!?]$")
_TRAILING = re.compile(r"(?:\[\d{1,4}\]|[。．\s]|（[^（）]*）|\([^()]*\))+$")


def _prose_lines(markdown: str) -> list[tuple[str, str]]:
    """(section heading, line) for every prose or list line; tables and headings skipped."""
    section = ""
    found: list[tuple[str, str]] = []
    for raw in markdown.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            section = line
            continue
        if not line or line.startswith("|"):
            continue
        found.append((section, strip_marker(line.lstrip("-*").strip())))
    return found


def _bare(sentence: str) -> str:
    """The sentence as read: no citation markers, no emphasis marks."""
    return MARKER.sub("", sentence).replace("**", "").strip()


def text_defects(markdown: str) -> list[str]:
    """Doubled brackets or punctuation, a sentence said twice in one section, sentences
    with no predicate (「KPI以外の貢献（提案・市場の気づき）[4][5]。」), an average without its
    unit and the tallies of matched sentences (both outside quotes)."""
    problems = [f"記号の重複「{m.group(0)}」" for m in DOUBLED.finditer(MARKER.sub("", markdown))]
    own = QUOTE_SPAN.sub("", MARKER.sub("", markdown))
    problems += [f"単位のない平均「{m.group(0)}」" for m in BARE_AVERAGE.finditer(own)]
    problems += [f"読み手が判断できない件数「{m.group(0)}」" for m in HIT_TALLY.finditer(own)]
    problems += [
        f"閉じない強調「{line[:30]}」" for line in markdown.splitlines() if _open_bold(line)
    ]
    seen: set[tuple[str, str]] = set()
    for section, line in _prose_lines(markdown):
        for start, end in sentence_spans(line):
            sentence = _bare(line[start:end])
            if not sentence.endswith("。"):
                continue
            key = (section, sentence)
            if key in seen and len(sentence) >= 8:
                problems.append(f"同じ文の繰り返し「{sentence[:40]}」")
            seen.add(key)
            body = _TRAILING.sub("", sentence)
            if body and not _PREDICATE_END.search(body) and not body.endswith(("」", "』")):
                problems.append(f"述語のない文「{sentence[:40]}」")
    return problems


def _open_bold(line: str) -> bool:
    """A closing 「**」 after punctuation and before a character (「です。**2026年」) does not
    close in CommonMark: the reader sees the asterisks."""
    closers = [m.start() for m in re.finditer(r"\*\*", line)][1::2]
    return any(
        at > 0
        and unicodedata.category(line[at - 1]).startswith("P")
        and at + 2 < len(line)
        and line[at + 2].isalnum()
        for at in closers
    )


def proposed_dates(markdown: str) -> list[dt.date]:
    """Dates the draft asks someone to keep: written with the weekday (jday), outside the
    quotes of documents (a report's 「9月10日（水）に訪問」 is what it says, not a proposal)."""
    found: list[dt.date] = []
    for match in PROPOSED_DATE.finditer(QUOTE_SPAN.sub("", markdown)):
        year, month, day = (int(part) for part in match.groups())
        found.append(dt.date(year, month, day))
    return found


def courtesy_citations(markdown: str, citations: Sequence[DraftCitation]) -> list[str]:
    """A marker pointing at a greeting, thanks or sign-off: a courtesy cited as evidence."""
    return [
        f"[{n}]: あいさつ文を根拠にしています「{citations[n - 1].quote[:30]}」"
        for n in used_citations(markdown, citations)
        if is_greeting(citations[n - 1].quote)
    ]


def unfilled_placeholders(markdown: str) -> list[str]:
    """The parties' placeholders (【ご担当者名】 …) still in the text, each once."""
    found = PLACEHOLDER.findall(markdown)
    return list(dict.fromkeys(p for p in found if p in _PLACEHOLDER_WORDS))


def overdue_shown_open(markdown: str, *, today: dt.date) -> list[str]:
    """An open item whose due day (「期限：2025年11月28日」) is before today must say so."""
    problems: list[str] = []
    for line in markdown.splitlines():
        for match in DUE_WRITTEN.finditer(line):
            year, month = int(match.group(1)), int(match.group(2))
            first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
            due = (
                dt.date(year, month, int(match.group(3)))
                if match.group(3)
                else first_of_next - dt.timedelta(days=1)
            )
            if due < today and not OVERDUE_SAID.search(line):
                problems.append(f"期限の過ぎた事項を期限内のように書いています（{match.group(0)}）")
    return problems


def date_problems(markdown: str, *, today: dt.date, contract_end: dt.date) -> list[str]:
    """Proposed dates before today, after the contract ends, or on a day off; open items past
    their due day shown without 期限超過."""
    problems = overdue_shown_open(QUOTE_SPAN.sub("", markdown), today=today)
    for day in proposed_dates(markdown):
        if day < today:
            problems.append(f"過去の日付を提案しています（{day}）")
        elif day > contract_end:
            problems.append(f"契約満了日より後の日付を提案しています（{day}）")
        elif not is_business_day(day):
            problems.append(f"営業日ではない日付を提案しています（{day}）")
    return problems


def fact_problems(markdown: str, citations: Sequence[DraftCitation]) -> list[str]:
    """A number immediately followed by its marker must be stated by the passage it cites."""
    problems: list[str] = []
    for match in NUMBER_CITED.finditer(markdown):
        value = float(match.group(1).replace(",", ""))
        for number in markers_in(match.group(3)):
            if 1 <= number <= len(citations) and not states_value(
                citations[number - 1].quote, value
            ):
                problems.append(f"{match.group(1)}[{number}]: 出典の文に同じ数値がありません")
    return problems


def audience_problems(
    markdown: str,
    citations: Sequence[DraftCitation],
    *,
    citable_ids: frozenset[int],
    client_texts: Sequence[str],
    internal_terms: Sequence[str],
    vendor_texts: Sequence[str] = (),
) -> list[str]:
    """What an external draft must not carry: a citation of, or a quote from, a client-side
    document (words the vendor itself also sent are its own), and the internal wording."""
    problems = [
        f"[{n}]: 自社側の文書（ID {citations[n - 1].document_id}）を引用しています"
        for n in used_citations(markdown, citations)
        if citations[n - 1].document_id not in citable_ids
    ]
    for match in QUOTED.finditer(MARKER.sub("", markdown)):
        quote = match.group(1)
        if any(quote in text for text in client_texts) and not any(
            quote in text for text in vendor_texts
        ):
            problems.append(f"自社側の文書の引用「{quote[:30]}」")
    problems += [
        f"社内向けの表現「{term}」" for term in internal_terms if re.search(term, markdown)
    ]
    return problems
