"""The one segmenter: lines, sentences, list items, headings, table rows and quoted replies.

Every span is an exact [start, end) offset into the text given, so `text[start:end]` can be
cited as is. It works on original and normalised text alike (both bracket widths are known).
Everything here is linear in the length of the text: pasted reports can be one huge line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

SENTENCE_ENDERS = "。！？!?"
# Pairs that protect their content from sentence splitting: 「…来た。…」との苦情。 is one sentence.
BRACKETS = {
    "「": "」",
    "『": "』",
    "（": "）",
    "(": ")",
    "【": "】",
    "［": "］",
    "[": "]",
    "“": "”",
}
_CLOSERS = frozenset(BRACKETS.values())
_BRACKET = re.compile("[" + re.escape("".join(BRACKETS) + "".join(_CLOSERS)) + "]")
_ENDER = re.compile(f"[{SENTENCE_ENDERS}]")
# A bracket pair longer than this is more likely a stray mark than a quotation.
_MAX_BRACKET_CHARS = 400
_MAX_HEADING_CHARS = 40
_MAX_PLAIN_HEADING_CHARS = 12

_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")  # as str.splitlines
# List markers: bullets, circled and bracketed numbers, 「1.」「1)」「1、」 (not the 1. of 1.5).
_NUMBER = r"[①-⑳⑴-⒇]|[(（][0-9０-９]{1,2}[)）]|[0-9０-９]{1,2}[.)．）、](?![0-9０-９])"
NUMBER_MARKER = re.compile(rf"(?:{_NUMBER})[ \t\u3000]*")
_MARKER = re.compile(rf"(?:[-*+](?=\s)|-(?=[^\d\s-])|[・･•◦●○◆◇■□▪▶►▼▽]|{_NUMBER})[ \t\u3000]*")
# Markers that make a short unterminated line a heading rather than a list item.
_HEADING_MARKERS = re.compile(
    r"#{1,6}\s|[■□◆◇●▼【]|[①-⑳]|[(（]?[0-9０-９]{1,2}[.)．）](?![0-9０-９])"
)
_QUOTE_MARKER = re.compile(r"(?:[>＞][ \t\u3000]*)+")
_RULE = re.compile(r"[-=_*~—―─━＝＿～ー]{2,}")
_TABLE_RULE = re.compile(r"\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?")
_ADDRESS_SUFFIXES = ("様", "さん", "殿", "御中", "各位")
_GREETING = re.compile(
    r"(?:いつも|平素より|平素は|大変)*お世話に(?:なっております|なります|なりました)"
    r"|お疲れ(?:様|さま)です"
    r"|(?:(?:引き続き|今後とも|本年も|今年も|何卒|どうぞ|以上|(?:ご確認|ご検討|ご査収)(?:の(?:ほど|程))?)、?)*"
    r"(?:よろしく|宜しく)お願い(?:いた|致|申し上げ)?(?:します|ます)"
    r"|以上(?:です|となります)?"
    # Thanks for a meeting or a message (「先日の定例会議ではありがとうございました。」):
    # a courtesy, not a statement about the work; thanks for a named piece of work is not.
    r"|(?:(?:先日|本日|昨日|先ほど|先般|この度|このたび|日頃|日頃より)(?:の|は)?[^。、]{0,12}?"
    r"(?:では|には|は|も)?、?)?(?:ご連絡|ご報告|ご返信|ご確認|お時間|お打ち合わせ)?"
    r"(?:を?いただき)?、?(?:誠に|本当に|大変)?ありがとうございま(?:す|した)"
    r"|いつもありがとうございます"
    r"|(?:新年|謹んで新年の)?(?:あけまして|明けまして)おめでとうございます|謹賀新年|新年のご挨拶"
    # The opening line that only names what the message holds (「12月度の実績をご報告いたします。」).
    r"|[^。]{0,30}?(?:を|について)、?(?:ご報告|ご連絡|お送り|お知らせ)(?:いた|致)?します"
    r"|[^。、]{0,20}?の(?:ご)?報告(?:です|となります)"
)
_SIGNATURE_LINES = 8

COMPANY_AFFIXES = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|合名会社|[(（][株有][)）]|[㈱㈲]"
    r"|,?\s*(?<![A-Za-z])(?:Co\.,?\s*Ltd\.?|Inc\.|Inc\b|Ltd\.|Ltd\b|Corp\.|Corp\b|LLC\b|K\.K\.)",
    re.IGNORECASE,
)
# 「ミナトセールスの佐藤です」「…の宮内と申します」: the organisation, then the person introducing
# themselves.
INTRODUCING = r"(?:です|でございます|と申します)"
SELF_INTRODUCTION = re.compile(
    rf"(?P<organisation>[^\s、。,]{{0,30}}?)の\s*(?P<name>\S{{1,8}}?){INTRODUCING}"
)

LineKind = Literal[
    "blank", "text", "item", "heading", "quote", "table_header", "table_row", "separator"
]
SegmentKind = Literal[
    "sentence",
    "item",
    "heading",
    "quote",
    "greeting",
    "signature",
    "table_header",
    "table_row",
    "separator",
]


@dataclass(frozen=True, slots=True)
class Line:
    """One line: its content span without indentation, and where the body after a marker starts."""

    index: int
    start: int
    end: int
    body: int  # after a list, number or `>` marker; == start when there is none
    kind: LineKind
    indent: int = 0
    header: tuple[int, int] | None = None  # table rows and rules: the table's first row


@dataclass(frozen=True, slots=True)
class Segment:
    """A citable unit: a sentence, list item sentence, heading, table row or separator."""

    start: int
    end: int
    kind: SegmentKind
    line: int
    header: tuple[int, int] | None = None  # table rows: the header row's span

    def text(self, original: str) -> str:
        return original[self.start : self.end]


def line_spans(text: str) -> list[tuple[int, int]]:
    """Each line's [start, end) without its line break, counted as `str.splitlines` does."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _LINE_BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding whitespace (full-width spaces included)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def marker_length(line: str) -> int:
    """Length of the list marker opening `line` (indentation and following spaces included)."""
    content = len(line) - len(line.lstrip())
    match = _MARKER.match(line, content)
    return match.end() if match else 0


def strip_marker(line: str) -> str:
    """「・資料送付」→「資料送付」: the line without its list marker."""
    return line[marker_length(line) :]


def _protected(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Outermost matched bracket pairs in [start, end), as (open, close + 1), in order."""
    stack: list[tuple[str, int]] = []
    waiting: dict[str, int] = {}  # closer → how many openers on the stack expect it
    pairs: list[tuple[int, int]] = []
    for match in _BRACKET.finditer(text, start, end):
        char, index = match.group(), match.start()
        closer = BRACKETS.get(char)
        if closer is not None:
            stack.append((closer, index))
            waiting[closer] = waiting.get(closer, 0) + 1
        elif waiting.get(char):
            while True:  # openers left unclosed inside this pair are not brackets
                expected, opened = stack.pop()
                waiting[expected] -= 1
                if expected == char:
                    break
            if index + 1 - opened <= _MAX_BRACKET_CHARS:
                while pairs and pairs[-1][0] > opened:
                    pairs.pop()  # nested inside this one
                pairs.append((opened, index + 1))
    return pairs


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Trimmed sentences of text[start:end]: split after 。！？!? outside brackets and at breaks."""
    stop = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line_start, line_end in line_spans(text[start:stop]):
        spans += _line_sentences(text, start + line_start, start + line_end)
    return spans


def _line_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pairs = _protected(text, start, end)
    pair = 0
    begin = start
    for match in _ENDER.finditer(text, start, end):
        index = match.start()
        if index < begin:
            continue  # already attached to the sentence before
        while pair < len(pairs) and pairs[pair][1] <= index:
            pair += 1
        if pair < len(pairs) and pairs[pair][0] <= index:
            continue  # inside a bracketed note or quotation
        index += 1
        while index < end and (text[index] in SENTENCE_ENDERS or text[index] in _CLOSERS):
            index += 1  # 「！？」 and a closer left open from an earlier line stay attached
        spans.append(trim(text, begin, index))
        begin = index
    spans.append(trim(text, begin, end))
    return [(s, e) for s, e in spans if e > s]


def _is_heading(content: str, marked: bool) -> bool:
    """「## 9月実績」「■今後の課題」「【決定事項】」, or a short label line such as 「決定事項」."""
    if len(content) > _MAX_HEADING_CHARS or content[-1] in "、,":
        return False
    if _ENDER.search(content):
        return False
    if _HEADING_MARKERS.match(content):
        return True
    if marked or len(content) > _MAX_PLAIN_HEADING_CHARS or "：" in content[:-1]:
        return False
    # Not an address or a signature line (「高木様」「株式会社カエデ通信」).
    return not (content.endswith(_ADDRESS_SUFFIXES) or company_affix_at_start(content))


def _is_tab_row(content: str) -> bool:
    """A row pasted from a spreadsheet: cells separated by tabs (not a tab after a marker)."""
    tab = content.find("\t")
    return tab > 0 and marker_length(content[:tab]) != tab


# Cells of a plain-text table aligned with spaces: two or more spaces (or a full-width one).
_ALIGNED_GAP = re.compile(r"[ \t]{2,}|\u3000+|\t")
_CELL_GAP = {"|": re.compile(r"\|"), "\t": re.compile(r"\t"), " ": _ALIGNED_GAP}


def _is_aligned_row(content: str) -> bool:
    """「架電数    1,200件    1,100件」: cells separated by runs of spaces, no sentence in it."""
    return len(_ALIGNED_GAP.split(content)) >= 2 and not _ENDER.search(content)


def _is_bare_pipe_row(content: str) -> bool:
    """「指標 | 実績 | 目標」: cells separated by pipes without the leading one."""
    return content.count("|") >= 1 and not content.startswith("|")


def cell_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The cells of the table row text[start:end] (pipes, tabs or aligned spaces), trimmed.

    Outer pipes give no cells; a row without pipes or tabs is split at runs of spaces.
    """
    row = text[start:end]
    gap = _CELL_GAP["|" if "|" in row else "\t" if "\t" in row else " "]
    cells: list[tuple[int, int]] = []
    position = start
    for match in [*gap.finditer(text, start, end), None]:
        cell_end = match.start() if match else end
        cells.append(trim(text, position, cell_end))
        position = match.end() if match else end
    if "|" in row:
        if row.lstrip().startswith("|"):
            cells = cells[1:]
        if row.rstrip().endswith("|"):
            cells = cells[:-1]
    return cells


def lines(text: str, *, aligned: bool = False) -> list[Line]:
    """Every line of the text, classified; table rows know the first row of their table.

    With `aligned`, blocks of two or more lines whose cells are separated by runs of spaces,
    or by pipes without a leading one, are table rows too (the KPI reader reads them; prose
    readers keep them as text).
    """
    spans = line_spans(text)
    contents = [trim(text, start, end) for start, end in spans]
    tab_rows = [_is_tab_row(text[s:e]) for s, e in contents]
    if aligned:
        # A rule line (「=====」) between aligned rows belongs to the table (above a total row).
        tab_rows = [
            tabbed
            or _is_aligned_row(text[s:e])
            or _is_bare_pipe_row(text[s:e])
            or (e - s >= 3 and _RULE.fullmatch(text[s:e].replace(" ", "")) is not None)
            for tabbed, (s, e) in zip(tab_rows, contents, strict=True)
        ]
    found: list[Line] = []
    header: tuple[int, int] | None = None
    for index, ((raw_start, _), (start, end)) in enumerate(zip(spans, contents, strict=True)):
        content = text[start:end]
        indent = start - raw_start
        piped = content.startswith("|")
        tabbed = tab_rows[index] and (
            (index > 0 and tab_rows[index - 1])
            or (index + 1 < len(tab_rows) and tab_rows[index + 1])
        )
        rule = "|" in content and _TABLE_RULE.fullmatch(content) is not None
        if header is not None and (rule or piped or tabbed):
            kind: LineKind = "separator" if rule else "table_row"
            found.append(Line(index, start, end, start, kind, indent, header))
            continue
        header = None
        if not content:
            found.append(Line(index, start, end, start, "blank", indent))
        elif piped or tabbed:
            header = (start, end)
            found.append(Line(index, start, end, start, "table_header", indent))
        elif _RULE.fullmatch(content.replace(" ", "")):
            found.append(Line(index, start, end, start, "separator", indent))
        elif quote := _QUOTE_MARKER.match(content):
            found.append(Line(index, start, end, start + quote.end(), "quote", indent))
        else:
            marker = _MARKER.match(content)
            body = start + marker.end() if marker else start
            if _is_heading(content, marked=marker is not None):
                kind = "heading"
            else:
                kind = "item" if marker else "text"
            found.append(Line(index, start, end, body, kind, indent))
    return found


def segment(text: str) -> list[Segment]:
    """The text as citable units in order; lines without content give none."""
    classified = lines(text)
    signature_from = _signature_start(classified)
    units: list[Segment] = []
    for line in classified:
        if line.kind == "blank":
            continue
        if line.kind == "heading" and line.index >= signature_from:
            units.append(Segment(line.start, line.end, "signature", line.index))
            continue
        if line.kind in ("heading", "table_header", "table_row", "separator"):
            kind: SegmentKind = line.kind
            units.append(Segment(line.start, line.end, kind, line.index, line.header))
            continue
        for start, end in _line_sentences(text, line.body, line.end):
            if line.index >= signature_from:
                kind = "signature"
            elif line.kind == "item" or line.kind == "quote":
                kind = line.kind
            elif is_greeting(text[start:end]):
                kind = "greeting"
            else:
                kind = "sentence"
            units.append(Segment(start, end, kind, line.index))
    return units


def _signature_start(classified: list[Line]) -> int:
    """Index of the first signature line: after a rule (「--」「────」) near the end."""
    filled = [line for line in classified if line.kind != "blank"]
    tail = filled[-_SIGNATURE_LINES:]
    rules = [position for position, line in enumerate(tail) if line.kind == "separator"]
    if not rules or rules[-1] == len(tail) - 1 or tail[rules[-1]].header is not None:
        return len(classified)
    signed = tail[rules[-1] + 1 :]
    if any(line.end - line.start > _MAX_HEADING_CHARS for line in signed):
        return len(classified)  # long lines after a rule are more text, not a signature
    return signed[0].index


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of every sentence-like unit (markers dropped, headings and table rows whole)."""
    return [(unit.start, unit.end) for unit in segment(text) if unit.kind != "separator"]


def is_greeting(sentence: str) -> bool:
    """「いつもお世話になっております。」「よろしくお願いいたします。」: says nothing of the work."""
    return _GREETING.fullmatch(sentence.strip().rstrip(SENTENCE_ENDERS + "、")) is not None


def company_affix_at_start(text: str) -> bool:
    match = COMPANY_AFFIXES.match(text.strip())
    return match is not None


def has_company_affix(text: str) -> bool:
    """Whether the text names a company form: 株式会社, （株）, ㈱, Inc., Co., Ltd. …"""
    return COMPANY_AFFIXES.search(text) is not None


def strip_company_affixes(name: str) -> str:
    """「株式会社ミナトセールス」「(株)ミナトセールス」→「ミナトセールス」."""
    return re.sub(r"\s{2,}", " ", COMPANY_AFFIXES.sub("", name)).strip(" \u3000,、")


def self_introduction(text: str) -> tuple[str, str] | None:
    """「ミナトセールスの佐藤です」→ ("ミナトセールス", "佐藤"); None if none."""
    match = SELF_INTRODUCTION.search(text)
    return (match.group("organisation"), match.group("name")) if match else None


def introduces(text: str, organisation: str) -> bool:
    """Whether the text introduces its writer as one of `organisation` (「<社名>の佐藤です」)."""
    core = strip_company_affixes(organisation)
    if not core:
        return False
    pattern = re.escape(core) + r"の\s*\S{1,12}?" + INTRODUCING
    return re.search(pattern, text) is not None
