"""A problem said to be absent is no concern: 「遅れなし」「連絡漏れもなかった」「欠席もなし」.

The models read the problem word (欠席, 遅延, 漏れ) and lean to concern whatever follows it;
a sentence that negates the problem (「6か月間遅延なし」) is the good side of the signal if
anything. On the labelled phrasebooks this wording occurs on good sentences only.
"""

from __future__ import annotations

import re

from app.analyse.cues import Sentence

PROBLEM = r"(遅れ|遅延|欠席|漏れ|抜け|ミス|トラブル|不備|滞り|苦情|クレーム|取りこぼし|未提出|未着)"
ABSENT = (
    r"(は|も|が)?(一度も|一切|特に|全く|まったく|ほぼ|ほとんど)?"
    r"(な[いく]|なし|なかった|無[いくし]|ありません|ございません|見られ(ない|ず|ません)"
    r"|出て(い)?(ない|ません))"
)
NEGATED_PROBLEM = re.compile(PROBLEM + ABSENT)


def negates_a_problem(sentence: Sentence) -> bool:
    """The sentence says a problem did not occur, so it is no concern of its signal."""
    return NEGATED_PROBLEM.search(sentence.normalized) is not None
