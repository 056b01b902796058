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


# The vendor as the one whose work or material a sentence speaks of, in the client's notes:
# 「先方のスクリプトが長すぎて」「代行会社のリスト精査が甘く」 — not 「先方から依頼」「代行会社には」.
# The targets set for the vendor (「代行会社のKPIは新規アポ数のまま」) are the client's own.
VENDOR_ACTS = re.compile(
    r"(先方|代行会社|代行側|代行さん|御社|貴社|委託先)(側)?(の|が|は|で)(?!な|kpi|目標|評価)"
)
CLIENT_NAMED = re.compile(r"当社|弊社|自社|うち(の|で|が|は|も)|こちら")


def vendor_acts(sentence: Sentence) -> bool:
    """In the client's notes, the vendor is named as actor or owner before the client is.

    Such a sentence is about the vendor's work (its script, its list checks), so it is no
    client-side cause, however much it reads like one.
    """
    if sentence.author != "client":
        return False
    vendor = VENDOR_ACTS.search(sentence.normalized)
    if vendor is None:
        return False
    client = CLIENT_NAMED.search(sentence.normalized)
    return client is None or vendor.start() < client.start()
