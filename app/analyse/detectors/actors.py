"""Whose staff a sentence speaks of: the document's author side plus the words naming a side.

「当社」「弊社」 mean the writer's own company, 「御社」「貴社」 the reader's, 「先方」 in the
client's notes the vendor. A personnel change is the vendor's only when the change word is
not preceded, nearest, by the client naming its own staff (「当社側の窓口が4月から…に変わる」
in the client's notes) or by the vendor naming the client's people (「御社ご担当者様の変更」).
Neither the models nor the cues see this: both read 「窓口」「変わる」 alike on either side.

Without side words the function words say it: a person named bare (「高木は…異動」) is the
writer's own colleague, one named with 様/さん/氏 the other side's; 「…との窓口」 is the
writer's own contact for the other party; an honoured change (「窓口ご就任」「ご異動」) is the
reader's; the writer speaking of itself (「私事で恐縮ですが…異動」「私、小野寺は…退職」) its own
side. People's names come from SudachiPy (人名), read only for sentences with a change word.

A change said not to happen (「担当の金井さんは変わっていない」「体制変更は特になし」) is no
change at all, unless another change word in the sentence is not negated (「責任者が交代したが、
担当者レベルは変わらない」 is still a change).
"""

from __future__ import annotations

import re
import threading
from typing import Any

from app.analyse.cues import Sentence

# A word of a change of staff; the side named last before the first of them is whose staff.
CHANGE = re.compile(
    r"交代|交替|変更|替わ|変わ|代わ|入れ替|後任|前任|異動|退職|転勤|産休|育休|休職|離任|着任"
    r"|転籍|配属|新任|新人|就任|引き?継"
)
# The writer speaking of itself: 「私事で恐縮ですが」「私、小野寺は」「わたくしは」.
FIRST_PERSON = re.compile(r"私事|(私|わたくし|小生)(自身)?(、[^、。]{1,8}?)?(は|が|も|儀|事)")
# What follows a change word that says it did not (or will not) happen.
NOT_CHANGED = re.compile(
    r"(ら(ない|ず|なかった)|って(い|お)?(ない|ません|らず|なかった)"
    r"|(は|も|の)?(特に|一切|全く|まったく)?(予定(は|も)?)?(なし|無し|な[いく]|なかった|ありません|ございません)"
    r"|(は|も)?(し|され)(て)?(い|お)?(ない|ません|らず|なかった)|せず)"
)
# An honoured change is the other side's: 「窓口ご就任とのこと」「ご異動の件」.
HONOURED = re.compile(r"(ご|御)$")
# The writer's own contact facing the other party: 「コールアークとの窓口は北村が引き継ぐ」.
CONTACT_FOR_OTHER = re.compile(r"(?<!当社|弊社|自社)との(連絡)?窓口")
# Owners named after the change word, when none is named before it: 「後任の引継ぎは当社内で」.
OWN_AFTER = re.compile(r"(当社|弊社|自社)内")
HONORIFICS = ("様", "さん", "氏", "殿", "さま")
# The client's own side, in the client's documents (not 「社内」: 「先方の…が社内異動で」).
CLIENT_OWN = re.compile(r"当社|弊社|自社|当方|うちの")
# The vendor, in the client's documents.
VENDOR_IN_CLIENT_TEXT = re.compile(
    r"先方|代行(会社|側|さん)?|御社|貴社|ベンダー|委託先|受託(側|者|会社)"
)
# The client's people in the vendor's documents: 「御社ご担当者様」「貴社の営業部長様」, not
# 「御社担当」 (the vendor's team for the client). 「先方」 in the vendor's text is never the
# vendor's own staff: the client (「先方ご担当の異動」) or a prospect.
CLIENT_IN_VENDOR_TEXT = re.compile(
    r"(御社|貴社)(の|側の)?(ご担当者?様|ご担当の方|[^、。担]{0,8}様)|先方"
)
VENDOR_OWN = re.compile(r"当社|弊社|当方|私ども|わたくしども")
# A third party's people, in either side's documents: the prospects and customers the vendor
# calls on (「見込み先の購買ご担当者様が4月に異動」「アポ先の…様では、ご担当者様が交代」).
THIRD_PARTY = re.compile(
    r"見込み?(客|顧客|先)|アポ先|訪問先|架電先|取引先|導入先|相手先|リスト先|顧客|お客様|お客さま"
)


def change_side(sentence: Sentence) -> str | None:
    """ "client", "vendor" or "third" (a prospect's, a customer's) for whose staff the
    sentence's change is, None when unsaid."""
    change = CHANGE.search(sentence.normalized)
    if change is None:
        return None
    text = sentence.normalized
    before = text[: change.start()]
    own: str = sentence.author
    other = "vendor" if own == "client" else "client"
    if HONOURED.search(before):
        return other
    if own == "client":
        client, vendor = CLIENT_OWN, VENDOR_IN_CLIENT_TEXT
    else:
        client, vendor = CLIENT_IN_VENDOR_TEXT, VENDOR_OWN
    named = [(m.end(), "client") for m in client.finditer(before)]
    named += [(m.end(), "vendor") for m in vendor.finditer(before)]
    named += [(m.end(), own) for m in CONTACT_FOR_OTHER.finditer(before)]
    named += [(m.end(), own) for m in FIRST_PERSON.finditer(before)]
    named += [(m.end(), "third") for m in THIRD_PARTY.finditer(before)]
    people = _people(text)
    named += [(end, own if bare else other) for end, bare in people if end <= change.start()]
    if named:
        return max(named)[1]
    after = [(m.start(), own) for m in OWN_AFTER.finditer(text, change.end())]
    after += [(end, own if bare else other) for end, bare in people if end > change.start()]
    return min(after)[1] if after else None


def states_no_change(sentence: Sentence) -> bool:
    """Every change word in the sentence is negated: 「担当は変わっていない」「体制変更は特になし」."""
    text = sentence.normalized
    changes = list(CHANGE.finditer(text))
    return bool(changes) and all(NOT_CHANGED.match(text, m.end()) for m in changes)


def writer_changes(sentence: Sentence) -> bool:
    """The writer announces its own change: 「私事で恐縮ですが、5月18日付で異動します」."""
    change = CHANGE.search(sentence.normalized)
    return (
        change is not None
        and FIRST_PERSON.search(sentence.normalized, 0, change.start()) is not None
    )


def names_a_change(sentence: Sentence) -> bool:
    """A change word occurs: without one (an attendee list 「芦田様（PM）、辻様（リーダー）」)
    a sentence may support a personnel change but never establishes one."""
    return CHANGE.search(sentence.normalized) is not None


_local = threading.local()


def _tokenizer() -> Any:
    """One SudachiPy tokenizer per thread, made on first use (they are not thread-safe)."""
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        from sudachipy import Dictionary

        tokenizer = _local.tokenizer = Dictionary(dict="core").create()
    return tokenizer


def _people(text: str) -> list[tuple[int, bool]]:
    """(end offset, named bare) for each person's name: bare = no 様/さん/氏 after it."""
    from sudachipy import SplitMode

    found: list[tuple[int, bool]] = []
    morphemes = list(_tokenizer().tokenize(text, SplitMode.C))
    for n, morpheme in enumerate(morphemes):
        if morpheme.part_of_speech()[2] != "人名":
            continue
        if n > 0 and morphemes[n - 1].part_of_speech()[2] == "人名":
            continue  # a given name after the surname: the same person
        rest = morphemes[n + 1 :]
        while rest and rest[0].part_of_speech()[2] == "人名":
            rest = rest[1:]
        bare = not (rest and rest[0].surface() in HONORIFICS)
        found.append((morpheme.end(), bare))
    return found


def is_clients_own_change(sentence: Sentence) -> bool:
    """The client's own staff change, or a third party's: not the vendor's personnel change."""
    return change_side(sentence) in ("client", "third")


# The vendor as the one whose work or material a sentence speaks of, in the client's notes:
# 「先方のスクリプトが長すぎて」「代行会社のリスト精査が甘く」 — not 「先方から依頼」「代行会社には」.
# The targets set for the vendor (「代行会社のKPIは新規アポ数のまま」) are the client's own.
VENDOR_ACTS = re.compile(
    r"(先方|代行会社|代行側|代行さん|御社|貴社|委託先)(側)?(の|が|は|で)(?!な|kpi|目標|評価)"
)
CLIENT_NAMED = re.compile(r"当社|弊社|自社|うち(の|で|が|は|も)|こちら")
# In the vendor's own documents the vendor names itself: 「当方のリスト精査が不十分で」「弊社側の
# オペレーター欠員により」 (on the tuning phrasebooks only neutral sentences of client-side causes).
VENDOR_SELF_ACTS = re.compile(r"(当社|弊社|当方|私ども|わたくしども)(側)?(の|が|で|は)")
CLIENT_IN_VENDOR_WORDS = re.compile(r"御社|貴社|先方")


def vendor_acts(sentence: Sentence) -> bool:
    """The vendor is named as actor or owner before the client is.

    Such a sentence is about the vendor's work (its script, its list checks), so it is no
    client-side cause, however much it reads like one.
    """
    if sentence.author == "client":
        vendor, client = VENDOR_ACTS, CLIENT_NAMED
    else:
        vendor, client = VENDOR_SELF_ACTS, CLIENT_IN_VENDOR_WORDS
    found = vendor.search(sentence.normalized)
    if found is None:
        return False
    other = client.search(sentence.normalized)
    return other is None or found.start() < other.start()


# The client naming itself as the cause, in its own notes: 「こちらの事情で申し訳ありません」
# 「当社側の事情で1週間遅れた」「こちらの落ち度」「うちのコンサルの手が回っていない」 (not 「こちらの
# 事情もよく把握していた」). In the vendor's documents 当社/弊社 is the vendor, so only the
# client's documents are read.
CLIENTS_OWN_FAULT = re.compile(
    r"(こちら|こっち|当社|自社|弊社|うち|当方)(側)?の(事情|問題|責任|落ち度|不手際|ミス|せい)"
    r"(で|により|。|$|です|だ|申し訳)"
    r"|(こちら|こっち|当社|自社|弊社|うち|当方)(側)?の[^。]{0,10}(手が回(って|ら)(い)?(ない|ず)|人手不足)"
)


# A delay of a reply, a report or a meeting: 「回答が遅れ」「返信が遅くなり」「定例を延期」.
DELAY = re.compile(r"遅れ|遅く|遅い|遅う|遅延|延期")


def clients_own_fault(sentence: Sentence) -> bool:
    """The client says the fault is its own — 「こちらの事情で」, or its own delay (「当社からの
    回答が遅れ、委託先の…」「こちらの返信が遅くなりました」: the side named last before the delay
    word is the one delaying): no concern about the vendor's work."""
    if sentence.author != "client":
        return False
    if CLIENTS_OWN_FAULT.search(sentence.normalized) is not None:
        return True
    delay = DELAY.search(sentence.normalized)
    if delay is None:
        return False
    before = sentence.normalized[: delay.start()]
    named = [(m.end(), "client") for m in CLIENT_NAMED.finditer(before)]
    named += [(m.end(), "vendor") for m in VENDOR_IN_CLIENT_TEXT.finditer(before)]
    return bool(named) and max(named)[1] == "client"
