"""Whose staff a sentence speaks of: the document's author side plus the words naming a side.

「当社」「弊社」 mean the writer's own company, 「御社」「貴社」 the reader's, 「先方」 in the
client's notes the vendor. A personnel change is the vendor's only when the change word is
not preceded, nearest, by the client naming its own staff (「当社側の窓口が4月から…に変わる」
in the client's notes) or by the vendor naming the client's people (「御社ご担当者様の変更」).
Neither the models nor the cues see this: both read 「窓口」「変わる」 alike on either side.
"""

from __future__ import annotations

import re

from app.analyse.cues import Sentence

# A word of a change of staff; the side named last before the first of them is whose staff.
CHANGE = re.compile(
    r"交代|交替|変更|替わ|変わ|代わ|入れ替|後任|前任|異動|退職|転勤|産休|育休|休職|離任|着任"
    r"|転籍|配属|新任|新人|引き?継"
)
# The client's own side, in the client's documents (not 「社内」: 「先方の…が社内異動で」).
CLIENT_OWN = re.compile(r"当社|弊社|自社")
# The vendor, in the client's documents.
VENDOR_IN_CLIENT_TEXT = re.compile(r"先方|代行(会社|側)?|御社|貴社|ベンダー|委託先")
# The client's people in the vendor's documents: 「御社ご担当者様」「貴社の営業部長様」, not
# 「御社担当」 (the vendor's team for the client).
CLIENT_IN_VENDOR_TEXT = re.compile(
    r"(御社|貴社)(の|側の)?(ご担当者?様|ご担当の方|[^、。担]{0,8}様)"
)
VENDOR_OWN = re.compile(r"当社|弊社|私ども|わたくしども")


def change_side(sentence: Sentence) -> str | None:
    """ "client" or "vendor" for whose staff the sentence's change is, None when unsaid."""
    change = CHANGE.search(sentence.normalized)
    if change is None:
        return None
    before = sentence.normalized[: change.start()]
    if sentence.author == "client":
        client, vendor = CLIENT_OWN, VENDOR_IN_CLIENT_TEXT
    else:
        client, vendor = CLIENT_IN_VENDOR_TEXT, VENDOR_OWN
    named = [(m.end(), "client") for m in client.finditer(before)]
    named += [(m.end(), "vendor") for m in vendor.finditer(before)]
    return max(named)[1] if named else None


def is_clients_own_change(sentence: Sentence) -> bool:
    """The client's own staff change: not the vendor's personnel change."""
    return change_side(sentence) == "client"
