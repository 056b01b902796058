"""Reporting periods (YYYY-MM): read from what a user types, inferred from a title or the
opening lines of a text, and checked against the engagement's term.

Pure functions over plain values. Written as small regexes rather than `dateutil.parser`:
it knows neither 年/月/度 nor eras, and fills a missing day (or month) from today, which is
exactly the "silently today's month" this module exists to prevent. Eras are a two-row
table (令和, 平成), not worth a dependency; kanji numerals go through `kanjize`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from kanjize import kanji2number

from app.core.text import lines

# Eras a report written today may use: 令和 N年 = 2018 + N, 平成 N年 = 1988 + N.
ERA_OFFSETS = {"令和": 2018, "平成": 1988, "R": 2018, "H": 1988}
_NUMBER = r"[0-9]{1,2}|[一二三四五六七八九十]{1,3}|元"
_ERA = rf"(?P<era>令和|平成|R|H)\s*(?P<era_year>{_NUMBER})\s*年"
_DAY_FOLLOWS = r"(?!\s*(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*日)"
# 「2026年2月(度)」「令和8年2月」「2026/2」; a full date (「2026年2月10日」「2026/2/10」) names
# a day, not the month a report covers, so it does not match.
YEAR_MONTH = re.compile(
    rf"(?:(?:{_ERA}|(?P<year>(?:19|20)[0-9]{{2}})\s*年)\s*(?P<month>{_NUMBER})\s*月{_DAY_FOLLOWS}"
    rf"|(?P<slash_year>(?:19|20)[0-9]{{2}})\s*[/\-.]\s*(?P<slash_month>[0-9]{{1,2}})"
    r"(?![0-9]|\s*[/\-.]\s*[0-9]|\s*月\s*[0-9]))"
)
# 「2月度」 alone: the year comes from the document's date.
MONTH_DO = re.compile(rf"(?<![0-9年/\-.])(?P<month>{_NUMBER})\s*月\s*度")
BARE_MONTH = re.compile(rf"(?<![0-9年/\-.])(?P<month>{_NUMBER})\s*月{_DAY_FOLLOWS}")
PLAIN_PERIOD = re.compile(r"(?P<year>[0-9]{4})\s*[/\-.年]\s*(?P<month>[0-9]{1,2})\s*(?:月\s*度?)?")
OPENING_LINES = 5


def _number(value: str) -> int:
    if value == "元":
        return 1
    if value.isdigit():
        return int(value)
    return int(kanji2number(value))


def _format(year: int, month: int) -> str | None:
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 and 1900 <= year <= 2200 else None


def parse_period(value: str) -> str | None:
    """What a user types for a month (「2026年2月」「2026/2」「2026-02」「令和8年2月」) as
    YYYY-MM; None when it is not one month of one year."""
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    plain = PLAIN_PERIOD.fullmatch(text)
    if plain:
        return _format(int(plain["year"]), int(plain["month"]))
    match = YEAR_MONTH.fullmatch(text.rstrip("分").rstrip("度"))
    return _year_month(match) if match else None


def _year_month(match: re.Match[str]) -> str | None:
    if match["slash_year"]:
        return _format(int(match["slash_year"]), int(match["slash_month"]))
    if match["era"]:
        year = ERA_OFFSETS[match["era"]] + _number(match["era_year"])
    else:
        year = int(match["year"])
    return _format(year, _number(match["month"]))


def _month_near(month: int, date: dt.date) -> str | None:
    """A bare month belongs to the latest such month up to one month after the document's
    date: 「12月度」 in a report dated 2026-01-08 is 2025-12, 「3月度計画」 dated 2026-02-27 is 2026-03."""
    year = date.year if month <= date.month + 1 else date.year - 1
    return _format(year, month)


def _from_title(title: str, date: dt.date) -> str | None:
    text = unicodedata.normalize("NFKC", title)
    if match := YEAR_MONTH.search(text):
        return _year_month(match)
    if match := MONTH_DO.search(text) or BARE_MONTH.search(text):
        return _month_near(_number(match["month"]), date)
    return None


def _from_opening(text: str, date: dt.date) -> str | None:
    """Only the opening lines count, and only a 年月 or 「N月度」: a later 「9月は…」 is a
    figure of another month, not the report's own period."""
    opening = [
        unicodedata.normalize("NFKC", text[line.start : line.end])
        for line in lines(text[:2000])
        if line.kind in {"heading", "text", "item"}
    ][:OPENING_LINES]
    for line in opening:
        if match := YEAR_MONTH.search(line):
            return _year_month(match)
        if match := MONTH_DO.search(line):
            return _month_near(_number(match["month"]), date)
    return None


def infer_period(*, title: str, text: str, date: dt.date) -> str | None:
    """The period a document states: its title first, then its opening lines; None if neither."""
    return _from_title(title, date) or _from_opening(text, date)


def _month_start(period: str) -> dt.date:
    year, month = period.split("-")
    return dt.date(int(year), int(month), 1)


def _japanese_month(period: str) -> str:
    start = _month_start(period)
    return f"{start.year}年{start.month}月"


def _japanese_date(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def term_warnings(
    *,
    period: str | None,
    date: dt.date,
    start_date: dt.date,
    end_date: dt.date,
    today: dt.date,
) -> list[str]:
    """Why a stored document's date or period looks mistyped: outside the engagement's term,
    in the future, or far from each other. Warnings only: the document is kept."""
    warnings: list[str] = []
    if date > today:
        warnings.append(
            f"日付（{_japanese_date(date)}）が未来の日付です。入力に誤りがないかご確認ください。"
        )
    elif date < start_date:
        warnings.append(
            f"日付（{_japanese_date(date)}）が契約開始日（{_japanese_date(start_date)}）より前です。"
        )
    elif date > end_date + dt.timedelta(days=31):
        warnings.append(
            f"日付（{_japanese_date(date)}）が契約の更新日（{_japanese_date(end_date)}）を1か月以上過ぎています。"
        )
    if period is None:
        return warnings
    month = _month_start(period)
    label = _japanese_month(period)
    if _months_between(today, month) > 0:
        warnings.append(
            f"対象期間（{label}）はまだ来ていない月です。入力に誤りがないかご確認ください。"
        )
    elif _months_between(start_date, month) < 0:
        warnings.append(
            f"対象期間（{label}）が契約開始日（{_japanese_date(start_date)}）より前です。"
        )
    elif _months_between(end_date, month) > 0:
        warnings.append(
            f"対象期間（{label}）が契約の更新日（{_japanese_date(end_date)}）より後です。"
        )
    if abs(_months_between(month, date)) > 3:
        warnings.append(
            f"対象期間（{label}）と日付（{_japanese_date(date)}）が3か月以上離れています。年や月の入力をご確認ください。"
        )
    return warnings
