"""Which of the vendor's proposals and requests a later document already answers.

Pure code over the documents. A later sentence answers an item when it is about the same
topic and says what came of it: an effect or a number (「展示会名刺リスト経由のアポが26件中9件」
「検討が具体的」), or that it is finished (「一巡しました」「受領」「完了」). Topic is judged by
shared character pairs of content words (「名刺」「概算」「費用」), not whole words, because a
later text rarely repeats the proposal's compounds (「来場者名刺」 → 「展示会名刺リスト」).
A finished item, or a one-time deliverable (「整理し、1月の定例でご報告します」) that a later
document takes up, is acknowledged, never asked about or offered to be continued.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from app.analyse.models import Citation
from app.core.facts import DocumentFacts
from app.core.normalize import normalize_for_matching
from app.core.text import sentence_spans
from app.draft.todos import DONE, GENERIC, NOT_DONE, WORD

# what came of it: an effect, a number of results, or an opinion on how it went
EFFECT = re.compile(
    r"延び|件中\d+件|経由の|具体的|増え|減っ|上が|下が|好評|採用|正式資料|効果|反応が|伸び|短く済"
)
# it is over: nothing to continue
FINISHED = re.compile(DONE.pattern + r"|受領|一巡|終了|完了|済み|お送り済")
# a one-time deliverable promised, not a measure that runs on
DELIVERABLE = re.compile(
    r"(ご報告|ご共有|お送り|ご提出|ご提示|お届け|作成|整理)(いた)?し?ます[。]?$|(ご報告|ご提出)する[。]?$"
)
MIN_SHARED_PAIRS = 3
# pairs every sentence of these documents shares (company words, generic nouns)
STOP_PAIRS = frozenset({"貴社", "当社", "御社", "弊社", "目標", "件数", "今後", "次期", "月度"})


def topic_pairs(text: str) -> set[str]:
    """Character pairs of the content words (kanji and katakana runs) of a text."""
    pairs: set[str] = set()
    for word in WORD.findall(normalize_for_matching(text)):
        if word in GENERIC:
            continue
        pairs.update(word[i : i + 2] for i in range(len(word) - 1))
    return pairs - STOP_PAIRS


SAME_SHARE = 0.4


def same_topic(a: str, b: str) -> bool:
    """Two texts about one thing: most of the shorter one's character pairs are shared
    (「訪問先の重点を…へ移す」 and 「…に重点化したことで…増えています」), not just a few words
    (a proposal that mentions the 「予算計上」 campaign is not the campaign's result)."""
    pa, pb = topic_pairs(a), topic_pairs(b)
    shared = len(pa & pb)
    return shared >= MIN_SHARED_PAIRS and shared >= SAME_SHARE * min(len(pa), len(pb))


@dataclass(frozen=True)
class FollowUp:
    """What a later document says of one item."""

    quote: str
    finished: bool  # over (一巡, 受領, 完了) or a deliverable given: acknowledge, do not continue
    effect: bool  # an effect or result was reported


def _sentences(document: DocumentFacts) -> list[str]:
    return [document.text[a:b] for a, b in sentence_spans(document.text)]


def is_deliverable(quote: str) -> bool:
    """The item promises something given once (a report, a list, a document)."""
    sentences = [s for s in re.split(r"(?<=。)", quote) if s.strip()]
    return bool(sentences) and bool(DELIVERABLE.search(sentences[-1].strip()))


def follow_ups(
    items: Sequence[Citation], documents: Sequence[DocumentFacts]
) -> dict[str, FollowUp]:
    """For each item a later document takes up (same topic, and an outcome said), by quote."""
    if not items:
        return {}
    dates = {d.id: d.date for d in documents}
    said: list[tuple[dt.date, int, set[str], bool, bool]] = []
    for document in documents:
        for sentence in _sentences(document):
            text = normalize_for_matching(sentence)
            if NOT_DONE.search(text):
                continue
            finished = bool(FINISHED.search(text))
            effect = bool(EFFECT.search(text))
            if finished or effect:
                said.append((document.date, document.id, topic_pairs(sentence), finished, effect))
    found: dict[str, FollowUp] = {}
    for item in items:
        pairs = topic_pairs(item.quote)
        written = dates.get(item.document_id, dt.date.max)
        hits = [
            (finished, effect)
            for day, doc_id, other, finished, effect in said
            if (day > written or (day == written and doc_id != item.document_id))
            and len(pairs & other) >= MIN_SHARED_PAIRS
        ]
        if hits:
            finished = any(f for f, _ in hits) or is_deliverable(item.quote)
            found[item.quote] = FollowUp(item.quote, finished, any(e for _, e in hits))
    return found


PAST_STATEMENT = re.compile(r"(ました|でした)[。]?$")
ASK = re.compile(
    r"(?P<object>[^、。]+?)を(?:ご相談|ご確認|ご検討|ご判断)(?:さ|いただ|くだ|ください)"
)
QUOTED = re.compile(r"[『「]([^』」]{2,30})[』」]")
WORK = re.compile(r"^(?P<object>.+?)を(?P<verb>整理|作成|集計|分析|まとめ|比較)(?:し|て|した上で)")


def _split(quote: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[。！？])", quote) if s.strip()]


def request_core(quote: str) -> tuple[str, str]:
    """A request of the vendor to us cut to what it asks: (the proposal it rests on, the
    thing asked about) — 「展示会名刺リストは架電を一巡しました。次は…約420件を対象にしたいと
    考えております。抽出をご相談させてください。」 → (「次は…約420件を対象にしたいと考えて
    おります。」, 「抽出」); a finished report (「…しました」) is no part of the request."""
    sentences = [s for s in _split(quote) if not PAST_STATEMENT.search(s)]
    ask = next((s for s in sentences if ASK.search(s)), "")
    rest = [s for s in sentences if s != ask]
    match = ASK.search(ask)
    thing = match.group("object").strip() if match else ""
    if not rest:
        return ask or quote, ""
    core = re.sub(r"^(次は|今後は|次に)[、]?", "", rest[0])
    return core, thing


def deliverable_noun(quote: str) -> str:
    """A one-time deliverable as a noun (「比較された点を整理し、1月の定例でご報告します」 →
    「比較された点の整理」); "" when the sentence has no such form."""
    sentences = _split(quote)
    match = WORK.search(sentences[-1]) if sentences else None
    if not match:
        return ""
    noun = f"{match.group('object')}の{match.group('verb')}"
    named = QUOTED.search("".join(sentences[:-1]))  # what it is about (『他社センサーと比較中』)
    return f"『{named.group(1)}』の件で{noun}" if named else noun


OUTLOOK = re.compile(r"[^、。\n]*(?:見込み|予定です|見通し)[^、。\n]*")
MONTH = re.compile(r"(?<!\d)(1[0-2]|[1-9])月")


def _month_end(month: int, written: dt.date) -> dt.date:
    year = written.year + (1 if month < written.month - 6 else 0)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def past_outlooks(
    documents: Sequence[DocumentFacts], vendor_ids: Collection[int], today: dt.date
) -> list[Citation]:
    """The vendor's outlooks for months already over (「商談中の案件のうち18件は3〜4月に結論が
    出る見込みです」): the drafts ask what came of them. One clause each, newest first."""
    found: list[Citation] = []
    for document in sorted(documents, key=lambda d: (d.date, d.id), reverse=True):
        if document.id not in vendor_ids or document.date > today:
            continue
        for match in OUTLOOK.finditer(document.text):
            months = [int(m.group(1)) for m in MONTH.finditer(match.group(0))]
            if not months or max(_month_end(m, document.date) for m in months) >= today:
                continue
            if max(_month_end(m, document.date) for m in months) <= document.date:
                continue  # a month already over when written: a result, not an outlook
            start = match.start() + len(match.group(0)) - len(match.group(0).lstrip(" 　-・"))
            found.append(Citation.of_span(document, start, match.end()))
    return found[:2]


NEXT_TERM = re.compile(r"来期|次期|翌期|来年度|\d{1,2}月〜")
# in the proposal itself only as its time (「来期は…」), not 「来期予算への計上」
NEXT_TERM_SAID = re.compile(r"(?:来期|次期|翌期|来年度)(?:に|から|は|以降|の(?:契約|体制))")
HEADING_LINE = re.compile(r"^\s*(?:#+|■|◆|●|【)")


def next_term(items: Sequence[Citation], documents: Sequence[DocumentFacts]) -> list[str]:
    """The quotes of proposals for the next term (under a 「来期のご提案」 heading, or saying
    来期/次期 themselves): nothing of them has run yet, so a draft asks for their details and
    cost, never for their results."""
    texts = {d.id: d.text for d in documents}
    found: list[str] = []
    for item in items:
        before = texts.get(item.document_id, "")[: item.start].splitlines()
        heading = next((line for line in reversed(before) if HEADING_LINE.match(line)), "")
        if NEXT_TERM.search(heading) or NEXT_TERM_SAID.search(item.quote):
            found.append(item.quote)
    return found
