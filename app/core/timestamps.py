"""Dates and times as the API reads and writes them.

SQLite hands back naive datetimes although every one is stored in UTC: `UtcDateTime` says so
in every response. `IsoDate` accepts only `YYYY-MM-DD` (or a date), because Pydantic's lax
mode would read `0` or `"1700000000"` as a Unix timestamp.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def as_utc(value: dt.datetime) -> dt.datetime:
    """A naive datetime from the database is UTC; an aware one is converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def iso_date_only(value: object) -> object:
    """Refuse numbers and numeric strings before Pydantic turns them into dates."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        return value.strip()
    raise ValueError("日付は YYYY-MM-DD の形式で指定してください。")


UtcDateTime = Annotated[dt.datetime, AfterValidator(as_utc)]
IsoDate = Annotated[dt.date, BeforeValidator(iso_date_only), Field(examples=["2026-04-01"])]
