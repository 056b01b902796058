"""The offline engine: render a draft deterministically from its context with Jinja2.

Templates are files (prompts/drafts/*.md.j2). They call `cite(c)` to place a marker, which
numbers citations in order of first use; document text only ever enters through the `q`
filter, which strips anything Markdown could read as structure, a link or HTML.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from app.analyse.models import Citation
from app.core.text import SENTENCE_ENDERS, sentence_spans, strip_marker
from app.draft.citations import CitationCollector, DraftCitation, inline
from app.draft.context import DraftContext
from app.draft.context_reasons import swap_parties
from app.draft.followups import deliverable_noun, request_core, same_topic
from app.draft.framing import (
    listed,
    paraphrase,
    service_name,
    task_noun,
    undated,
    without_our_honorifics,
)
from app.errors import ConfigError

LLM_MARKER = re.compile(r"[\[［]\s*[PpＰｐ]\s*([0-9０-９]{1,4})\s*[\]］]")
BARE_MARKER = re.compile(r"\[(\d{1,4})\]")


@dataclass(frozen=True)
class RenderedDraft:
    markdown: str
    citations: list[DraftCitation]


NESTED = str.maketrans({"「": "『", "」": "』"})
EMPHASIS = re.compile(r"\*\*|__|`")


def _quote_shown(text: str) -> str:
    """A quote as shown inside 「」: without the list bullet or number it started with, and
    its own 「」 written 『』, so no 「「 or 」」 appears."""
    plain = EMPHASIS.sub("", strip_marker(text))  # 「**即時架電**：…」 reads 「即時架電：…」
    return inline(plain).translate(NESTED)


WEEKDAYS = "月火水木金土日"


def _jdate(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else "―"


def _jday(value: dt.date | None) -> str:
    """2026年3月2日（月）: a date someone is asked to keep."""
    return f"{_jdate(value)}（{WEEKDAYS[value.weekday()]}）" if value else "―"


def _period(value: str | None) -> str:
    if not value:
        return "期間なし"
    year, month = value.split("-")
    return f"{year}年{int(month)}月"


def _yen(value: float | int | None) -> str:
    return f"{value:,.0f}円" if value is not None else "―"


def _percent(value: float | None) -> str:
    return f"{value * 100:.0f}%" if value is not None else "―"


@lru_cache(maxsize=4)
def _environment(directory: Path) -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(directory)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML: document text goes through the `q` filter
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,
    )
    environment.filters["q"] = inline
    environment.filters["qs"] = _quote_shown
    environment.filters["jdate"] = _jdate
    environment.filters["jday"] = _jday
    environment.filters["period"] = _period
    environment.filters["service_name"] = service_name
    environment.filters["undated"] = undated
    environment.filters["yen"] = _yen
    environment.filters["pct"] = _percent
    return environment


def prose_markers(text: str, passages: Mapping[str, Citation], collector: CitationCollector) -> str:
    """LLM prose → draft Markdown: `[P3]` becomes the draft's own marker for that passage."""
    cleaned = inline_prose(text)

    def replace(match: re.Match[str]) -> str:
        key = "P" + str(int(unicodedata.normalize("NFKC", match.group(1))))
        citation = passages.get(key)
        return collector.marker(citation) if citation is not None else ""

    return LLM_MARKER.sub(replace, cleaned)


def inline_prose(text: str) -> str:
    """Model text is kept as paragraphs, but cannot add headings, HTML or bare `[n]` markers."""
    lines = [line.strip().lstrip("#").strip() for line in text.replace("\r", "").split("\n")]
    joined = "\n".join(line for line in lines if line)
    joined = BARE_MARKER.sub(lambda m: f"［{m.group(1)}］", joined)
    return joined.replace("<", "＜").replace(">", "＞").replace("\n", "\n\n")


def render_draft(
    context: DraftContext,
    *,
    templates_dir: Path,
    prose: Mapping[str, str] | None = None,
    passages: Mapping[str, Citation] | None = None,
) -> RenderedDraft:
    """Markdown and its numbered citations; `prose` (from the LLM) replaces offline wording."""
    readers = context.readers
    collector = CitationCollector(allows=readers.allows if readers.external else None)
    given_prose = dict(prose or {})
    given_passages = dict(passages or {})

    def cite(citation: Citation | None) -> str:
        return collector.marker(citation)

    def cites(citations: Sequence[Citation], limit: int = 2) -> str:
        return collector.markers(citations, limit)

    def cited(text: str, citations: Sequence[Citation], limit: int = 2) -> str:
        """Every sentence of `text` ends with the markers, so none reads as unsupported."""
        markers = collector.markers(citations, limit)
        parts: list[str] = []
        previous = 0
        for start, end in sentence_spans(text):
            body = text[start:end].rstrip(SENTENCE_ENDERS)  # the marker goes before 。
            parts.append(
                f"{text[previous:start]}{body}{markers}{text[start + len(body) : end] or '。'}"
            )
            previous = end
        return "".join(parts)

    def ref(citation: Citation) -> str:
        """「貴社10月度ご報告」 for a passage the vendor sent; its title otherwise."""
        return readers.reference(citation) or citation.title

    rules = context.config.audiences.vendor_text

    def vquote(text: str) -> str:
        """A vendor quote inside 「」; in an external draft with the parties swapped (〔貴社〕)
        and our own people without 「様」."""
        shown = _quote_shown(text)
        if not readers.external:
            return shown
        return swap_parties(without_our_honorifics(shown, context.staff), rules)

    def vsay(text: str) -> str:
        """A vendor proposal as a text from us lists it: a paraphrase in plain words
        (no 「」, no 〔〕); quoted when an ending has no plain form."""
        shown = _quote_shown(text)
        if not readers.external:
            return f"「{vquote(text)}」"
        plain = listed(shown, rules, context.staff)
        return plain if plain else f"「{vquote(text)}」"

    def vask(text: str) -> str:
        """A request of the vendor to us as a short item (「…を対象にしたいとのご相談（抽出）」);
        "" when it has no such form (the caller quotes it then)."""
        core, thing = request_core(_quote_shown(text))
        plain = paraphrase(core, rules, context.staff) if readers.external else None
        if not plain or not plain.endswith("とのご提案") or "。" in plain:
            return ""
        if thing and plain.endswith("を対象にしたいとのご提案"):  # 「…を対象とする抽出のご相談」
            return plain.removesuffix("にしたいとのご提案") + f"とする{thing}のご相談"
        return plain.replace("とのご提案", f"とのご相談（{thing}）" if thing else "とのご相談")

    def vdone(text: str) -> str:
        """A deliverable given, as a noun (「比較された点の整理」), else as a proposal is said."""
        noun = deliverable_noun(_quote_shown(text))
        return swap_parties(noun, rules) if noun and readers.external else noun or vsay(text)

    def prose_text(key: str) -> str:
        text = given_prose.get(key, "")
        return prose_markers(text, given_passages, collector) if text.strip() else ""

    spec = context.config.kind(context.kind)
    try:
        template = _environment(templates_dir.resolve()).get_template(spec.template)
        markdown = template.render(
            **context.template_values(),
            spec=spec,
            cite=cite,
            cites=cites,
            cited=cited,
            ref=ref,
            vquote=vquote,
            vsay=vsay,
            vask=vask,
            same_topic=same_topic,
            vdone=vdone,
            task_noun=task_noun,
            prose_text=prose_text,
        )
    except jinja2.TemplateError as error:
        raise ConfigError(f"テンプレート {spec.template} を描画できません: {error}") from error
    markdown = re.sub(r"[ \t]+\n", "\n", markdown)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"
    return RenderedDraft(markdown=markdown, citations=collector.items)
