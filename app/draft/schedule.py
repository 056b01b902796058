"""Meeting candidates a draft may offer, and whether the reply window is short.

Pure code over the timeline's dates. A candidate within `RISKY_DAYS` of the notice deadline
leaves no time for our approval and a written agreement (the memo says so): the drafts offer
earlier business days after the reply-by day instead, so no letter proposes a day the memo
calls risky.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from app.renewals.timeline import add_business_days

RISKY_DAYS = 3  # a meeting this close to the notice deadline leaves no time to agree in writing
SHORT_REPLY_DAYS = 7  # a reply asked within a week: the letter apologises for the short time
WANTED = 3


def safe_meetings(
    meetings: Sequence[dt.date], reply_by: dt.date | None, notice_deadline: dt.date
) -> list[dt.date]:
    """The candidates that leave time before the notice deadline, topped up with the business
    days after the reply-by day; the given ones when nothing earlier fits."""
    safe = [d for d in meetings if (notice_deadline - d).days > RISKY_DAYS]
    if len(safe) >= 2 or reply_by is None:
        return safe or list(meetings)
    day = add_business_days(reply_by, 1)
    while len(safe) < WANTED and (notice_deadline - day).days > RISKY_DAYS:
        if day not in safe:
            safe.append(day)
        day = add_business_days(day, 1)
    return sorted(safe) if safe else list(meetings)


def short_reply(today: dt.date, reply_by: dt.date | None) -> bool:
    """The vendor gets a week or less to answer."""
    return reply_by is not None and (reply_by - today).days <= SHORT_REPLY_DAYS
