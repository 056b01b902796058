"""Compound questions (「交代はいつで、後任は誰？」「提案は何？あと、その理由は？」): split and
answered in parts, each part on its own, the answers joined with their citations renumbered.

A question written by someone else often asks two things at once; the offline answerer picks
one best sentence, so it can only ever answer one of them. Splitting is by the shape of the
sentence (a question mark followed by a second question, or a joining word before one), never
by the topic; 「AですかそれともBですか」 asks one thing and is not split.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.chat.answers import OfflineAnswer, SourceSpan

MIN_PART_CHARS = 4
# (and the polite 「…ですか。」「…ましたか。」: the full stop after か ends a question too)
_QUESTION_MARK = re.compile(r"[?？]|(?<=[でま]すか)。|(?<=でしたか)。|(?<=ましたか)。")
# 「…？あと、…？」「…？それと…」「…。また、…は？」「…で、…は誰？」 — a second question begins.
_JOINERS = re.compile(
    r"(?:[?？。]\s*|、)(?:あと|それと|それから|また|加えて|ついでに|あわせて|併せて)[、,]?"
)
# 「交代はいつで、後任は誰？」: a question word, then a clause joined on.
_ASKED_THEN = re.compile(r"(いつ|誰|何|どこ|いくら)(?:で|でしたか|ですか|だった)、")
_ALTERNATIVE = re.compile(r"それとも|または|もしくは|あるいは")
_MARKER = re.compile(r"\[(\d+)\]")
# 「…ちがうの？ざっくりでいいので」「…ますか？項目だけで結構です」: a closing remark asks nothing,
# nor does a premise (「…報告には『年始のため』とありましたが」).
_REMARK = re.compile(
    r"(ので|から|けど|けれど|結構です|でいいです|で構いません|で大丈夫です|(?:た|だ|です|ます)が)$"
)


def split_compound(question: str) -> list[str]:
    """The questions a question holds, in order; one item when it asks one thing."""
    text = question.strip()
    if _ALTERNATIVE.search(text):
        return [text]
    parts = [p.strip(" 、,。") for p in _JOINERS.split(_ASKED_THEN.sub(r"\1？", text))]
    pieces: list[str] = []
    for part in parts:
        # 「…はいつ？誰が…？」: a question mark with more text after it ends a question.
        sub = [s.strip(" 、,。") for s in _QUESTION_MARK.split(part)]
        pieces += [s for s in sub if s]
    pieces = [p for i, p in enumerate(pieces) if i == 0 or not _REMARK.search(p)]
    if len(pieces) < 2 or any(len(p) < MIN_PART_CHARS for p in pieces):
        return [text]
    return [p + "？" for p in pieces]


def _shift(text: str, by: int) -> str:
    return _MARKER.sub(lambda m: f"[{int(m.group(1)) + by}]", text)


def join_answers(answers: Sequence[OfflineAnswer], parts: Sequence[str]) -> OfflineAnswer:
    """One answer from the parts' answers: each under its own question, markers renumbered
    so [n] still names the n-th citation; found when any part was."""
    citations: list[SourceSpan] = []
    blocks: list[str] = []
    for part, answer in zip(parts, answers, strict=True):
        blocks.append(f"■ {part}\n{_shift(answer.text, len(citations))}")
        citations += answer.citations
    first = answers[0]
    return OfflineAnswer(
        "\n\n".join(blocks),
        tuple(citations),
        any(a.found for a in answers),
        first.kind,
        dict(first.context),
    )
