"""Open items (宿題・ToDo) from meeting notes that no later document reports as done.

Pure text rules. An item is closed only by a later sentence that both says something was
finished (完了, 済み, 共有しました …) and shares most of the item's content words; anything
less leaves it open, because carrying over a finished item costs a minute in the meeting,
while dropping an unfinished one loses it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.analyse.models import Citation
from app.core.facts import DocumentFacts
from app.core.normalize import normalize_for_matching
from app.core.text import lines, marker_length, sentence_spans

HEADING = re.compile(
    r"^[\s#■◆●◇□・*【\[(（]*"
    r"(todo|to do|to-do|宿題|アクションアイテム|action items?|次回までの対応|持ち帰り事項|対応事項)"
    r"[\s】\])）:：]*$",
    re.IGNORECASE,
)
OWNER = re.compile(r"^(?P<owner>[^:：、,（(]{1,20})[:：]\s*(?P<task>.+)$")
DUE = re.compile(r"[（(](?P<due>[^（）()]*(まで|期限|〆)[^（）()]*)[)）]\s*$")
DONE = re.compile(
    r"(完了|済み|済です|済と|完成|実施しました|共有しました|格納しました|提出しました|送付しました|"
    r"お送りしました|作成しました|追加しました|登録しました|承認(され|を得|済|しました)|"
    r"対応しました|反映しました|設けました|開始しました)"
)
NOT_DONE = re.compile(
    r"(含まれて(おりません|いません|いなかった|おりませんでした)|未(完了|対応|着手|提出|実施)|"
    r"できて(いない|おりません|いません)|まだ|遅れて|間に合わ)"
)
WORD = re.compile(r"[一-龥々〆ヵヶ]{2,}|[ァ-ヴー]{2,}|[a-z][a-z0-9]{1,}")
# Words every item shares; they say nothing about which item a sentence is about.
GENERIC = frozenset(
    {
        "共有",
        "確認",
        "作成",
        "実施",
        "対応",
        "報告",
        "月次",
        "当社",
        "御社",
        "弊社",
        "社内",
        "予定",
        "検討",
        "次回",
        "定例",
        "資料",
        "案",
    }
)
# 「11/28まで」「3月24日（火）まで」「2026年1月9日まで」: the day a due text names.
DUE_DAY = re.compile(
    r"(?:(?P<year>\d{4})\s*[年/])?(?P<month>\d{1,2})\s*[/月]\s*(?P<day>\d{1,2})日?"
)
MONTH_NAMED = re.compile(r"(?<![\d/])(?P<month>1[0-2]|[1-9])月(?:の|中|末|上旬|中旬|下旬|まで)")
MONTH_END = re.compile(r"(?<![\d/])(1[0-2]|[1-9])月(?:末|中)")
MIN_OVERLAP = 2
MIN_SHARE = 0.6
# A due day written without a year lies after the minutes that set it, or shortly before.
MAX_DAYS_BEFORE_MINUTES = 60


@dataclass(frozen=True)
class OpenItem:
    """One carried-over item; [start, end) is the item's line in the stored document."""

    document_id: int
    document_title: str
    document_date: dt.date
    period: str | None
    start: int
    end: int
    quote: str
    owner: str | None
    task: str
    due: str | None
    vendor_side: bool
    due_date: dt.date | None = None
    overdue: bool = False  # still open after its due day, as of the draft's date
    due_inferred: bool = False  # the due text is the month the task names (「10月の定例で」)
    to_confirm: bool = False  # past an inferred due day, but a later report covers that month

    @property
    def due_label(self) -> str | None:
        """「期限：11/28まで」; once passed 「期限：2025年11月28日・期限超過」 (with the year, as
        「11/28」 a year on could be either)."""
        if not self.due:
            return None
        if self.to_confirm:
            return f"期限：{self.due}・対応状況を確認"
        if not self.overdue or self.due_date is None:
            return f"期限：{self.due}"
        day = self.due_date
        if DUE_DAY.search(normalize_for_matching(self.due)):
            return f"期限：{day.year}年{day.month}月{day.day}日・期限超過"
        return f"期限：{day.year}年{day.month}月末・期限超過"


def due_day(due: str | None, written: dt.date) -> dt.date | None:
    """The day a due text names (「11/28まで」 in minutes of 2025-11-13 → 2025-11-28)."""
    text = normalize_for_matching(due or "")
    match = DUE_DAY.search(text)
    if match is None:
        month = MONTH_END.search(text)
        if month is None:
            return None
        first = dt.date(written.year, int(month.group(1)), 1)
        if (written - first).days > MAX_DAYS_BEFORE_MINUTES:
            first = first.replace(year=first.year + 1)
        return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    year = int(match.group("year") or written.year)
    try:
        day = dt.date(year, int(match.group("month")), int(match.group("day")))
    except ValueError:
        return None
    if not match.group("year") and (written - day).days > MAX_DAYS_BEFORE_MINUTES:
        day = day.replace(year=year + 1)  # 「1/15まで」 in December's minutes
    return day


def _month_named(task: str) -> str | None:
    """「10月の定例で報告」: the month the task names is its due text (to the month's end)."""
    match = MONTH_NAMED.search(normalize_for_matching(task))
    return f"{match.group('month')}月末まで" if match else None


def content_words(text: str) -> set[str]:
    """The words that say which item a sentence is about (not the ones every item shares)."""
    return _content_words(text)


def _content_words(text: str) -> set[str]:
    return {word for word in WORD.findall(normalize_for_matching(text)) if word not in GENERIC}


def parse_items(document: DocumentFacts) -> list[OpenItem]:
    """Items listed under a ToDo/宿題 heading, with exact spans into the document text."""
    items: list[OpenItem] = []
    in_list = False
    listed = 0  # items seen under the current heading
    text = document.text
    for line in lines(text):
        stripped = text[line.start : line.end]
        if HEADING.match(stripped):
            in_list, listed = True, 0
            continue
        if not in_list:
            continue
        if not stripped:
            if listed:
                in_list = False  # a blank line after items ends the list
            continue
        if line.kind == "quote" or not marker_length(stripped) or line.body == line.end:
            in_list = False  # only list items (・, -, 1., （1） …) continue the list
            continue
        start, end = line.body, line.end
        body = text[start:end]
        owner_match = OWNER.match(body)
        owner = owner_match.group("owner").strip() if owner_match else None
        task = owner_match.group("task").strip() if owner_match else body
        due_match = DUE.search(task)
        due = due_match.group("due").strip() if due_match else None
        if due_match:
            task = task[: due_match.start()].strip()
        inferred = due is None
        if inferred:
            due = _month_named(task)
        listed += 1
        items.append(
            _item(
                document,
                start,
                end,
                owner=owner,
                task=task,
                due=due,
                vendor_side=bool(owner and owner.endswith("様")),
                due_date=due_day(due, document.date),
                due_inferred=inferred and due is not None,
            )
        )
    return items


def _item(
    document: DocumentFacts,
    start: int,
    end: int,
    *,
    task: str,
    owner: str | None = None,
    due: str | None = None,
    vendor_side: bool = False,
    due_date: dt.date | None = None,
    due_inferred: bool = False,
) -> OpenItem:
    """One listed line of a document (a ToDo or a decision) as an item, spanning [start, end)."""
    return OpenItem(
        document_id=document.id,
        document_title=document.title,
        document_date=document.date,
        period=document.period,
        start=start,
        end=end,
        quote=document.text[start:end],
        owner=owner,
        task=task,
        due=due,
        vendor_side=vendor_side,
        due_date=due_date,
        due_inferred=due_inferred,
    )


def _reported_done(item: OpenItem, later: Sequence[DocumentFacts]) -> bool:
    words = _content_words(item.task)
    if not words:
        return False
    needed = min(len(words), max(MIN_OVERLAP, math.ceil(len(words) * MIN_SHARE)))
    done = False
    for document in later:
        for start, end in sentence_spans(document.text):
            sentence = document.text[start:end]
            normalized = normalize_for_matching(sentence)
            overlap = len(words & _content_words(sentence))
            if overlap < needed:
                continue
            if NOT_DONE.search(normalized):
                done = False  # a later "still not done" overrides an earlier report
            elif DONE.search(normalized):
                done = True
    return done


def open_items(documents: Sequence[DocumentFacts], *, as_of: dt.date) -> list[OpenItem]:
    """What is carried over, oldest first: the latest minutes' items, and an earlier one only
    when it fell due after those minutes (what was due by then, the latest meeting reviewed
    and did not carry over); minus those a later document reports done. One still open after
    its due day is marked overdue, so a draft says 期限超過 instead of showing it on time."""
    visible = sorted((d for d in documents if d.date <= as_of), key=lambda d: (d.date, d.id))
    meetings = [d for d in visible if d.kind == "meeting_notes"]
    latest = meetings[-1].date if meetings else as_of
    found: list[OpenItem] = []
    for index, document in enumerate(visible):
        if document.kind != "meeting_notes":
            continue
        later = [d for d in visible[index + 1 :] if d.date >= document.date]
        for item in parse_items(document):
            settled = document.date < latest and (item.due_date is None or item.due_date < latest)
            if not settled and not _reported_done(item, later):
                found.append(item)
    return [_as_of(item, visible, as_of) for item in found]


def _as_of(item: OpenItem, visible: Sequence[DocumentFacts], as_of: dt.date) -> OpenItem:
    """Overdue once its due day has passed; but a due day only inferred from the month the
    task names (「10月の定例で報告」) is not a promise missed when a later vendor report for
    that month exists: the item may well be in it, so it is marked to be confirmed."""
    if item.due_date is None or item.due_date >= as_of:
        return item
    month = item.due_date.strftime("%Y-%m")
    covered = item.due_inferred and any(
        d.kind == "vendor_report" and d.month == month and d.date > item.document_date
        for d in visible
    )
    return replace(item, to_confirm=True) if covered else replace(item, overdue=True)


DECIDED = re.compile(r"^[\s■◆●▼【\[#＃]*(?:決定事項|決定した事項|合意事項|決まったこと)")


def decided_items(documents: Sequence[DocumentFacts], *, as_of: dt.date) -> list[OpenItem]:
    """The 決定事項 of the latest minutes that list any (a memo states what was decided, such
    as a shorter term, instead of proposing it anew)."""
    minutes = sorted(
        (d for d in documents if d.kind == "meeting_notes" and d.date <= as_of),
        key=lambda d: (d.date, d.id),
        reverse=True,
    )
    for document in minutes:
        found: list[OpenItem] = []
        under = False
        text = document.text
        for line in lines(text):
            content = text[line.start : line.end]
            if DECIDED.match(content):
                under = True
                continue
            if under and line.kind == "item" and line.body < line.end:
                task = text[line.body : line.end].rstrip("。")
                found.append(_item(document, line.body, line.end, task=task))
            elif under and content.strip() and line.kind != "item":
                under = False
        if found:
            return found
    return []


def item_citation(item: OpenItem) -> Citation:
    return Citation(
        document_id=item.document_id,
        start=item.start,
        end=item.end,
        quote=item.quote,
        period=item.period,
        title=item.document_title,
    )
