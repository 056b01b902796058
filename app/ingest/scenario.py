"""Import engagements from YAML files in the evaluation-scenario format (labels ignored).

A scenario may say its dates are relative (`relative_dates: {anchor, renewal_in_days}`):
imported with `relative_to` (the demo on the day `make run` loads it), its documents move by
whole years to the latest year not after that day, so 「9月度」 stays September and phase and
decision stay what they were on the anchor, and the renewal falls `renewal_in_days` after
that day, so the dashboard's statuses are the ones the scenario was written to show.
Without `relative_to` every date is used as written (the evaluation's fixed figures).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.container import Container
from app.core.vocabulary import PARTY_FIELDS
from app.errors import InvalidInput
from app.ingest.service import DocumentInput, ingest_document, parse_date
from app.store import repository


@dataclass(frozen=True)
class ImportSummary:
    engagements: int
    documents_created: int
    documents_existing: int
    engagement_ids: dict[str, int]


def scenario_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"})
    if not path.exists():
        raise InvalidInput(f"ファイルが見つかりません: {path}")
    return [path]


def _as_date(value: Any, label: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return parse_date(str(value), label=label)


@dataclass(frozen=True)
class DateShift:
    """Where a relative scenario's dates go on the day it is imported."""

    years: int
    renewal_date: dt.date | None

    def date(self, value: dt.date) -> dt.date:
        if not self.years:
            return value
        try:
            return value.replace(year=value.year + self.years)
        except ValueError:  # 29 February in a year without one
            return value.replace(year=value.year + self.years, day=28)

    def period(self, value: str | None) -> str | None:
        if not value or not self.years:
            return value
        year, month = str(value).split("-")[:2]
        return f"{int(year) + self.years}-{month}"

    def text(self, value: str, written: dt.date) -> str:
        """The document's own dates moved with it (「2025年11月13日（木）」 → the next year's
        date with its weekday; 「3月6日（金）」 by the year whose weekday it names), so a
        text never contradicts its document's date. Dates without a weekday or year stay."""
        if not self.years:
            return value

        def weekday(day: dt.date) -> str:
            return WEEKDAYS[day.weekday()]

        def with_year(match: re.Match[str]) -> str:
            year = int(match.group("year")) + self.years
            moved = f"{year}{match.group(0)[4:]}"
            day, named = match.group("day"), match.group("weekday")
            if day and named:
                try:
                    new = dt.date(year, int(match.group("month")), int(day))
                except ValueError:
                    return moved
                return moved[: -len(named)] + named[0] + weekday(new) + named[-1]
            return moved

        def without_year(match: re.Match[str]) -> str:
            month, day, named = int(match.group("month")), int(match.group("day")), match.group(3)
            for year in (written.year, written.year - 1, written.year + 1):
                try:
                    if weekday(dt.date(year, month, day)) == named:
                        new = dt.date(year + self.years, month, day)
                        return f"{month}月{day}日（{weekday(new)}"
                except ValueError:
                    return match.group(0)
            return match.group(0)

        value = YEAR_DATE.sub(with_year, value)
        return MONTH_DAY.sub(without_year, value)


WEEKDAYS = "月火水木金土日"
YEAR_DATE = re.compile(
    r"(?<!\d)(?P<year>20\d\d)年(?P<month>1[0-2]|0?[1-9])月"
    r"(?:(?P<day>3[01]|[12]\d|0?[1-9])日(?P<weekday>[（(][月火水木金土日][）)])?)?"
)
MONTH_DAY = re.compile(
    r"(?<![\d年])(?P<month>1[0-2]|[1-9])月(?P<day>3[01]|[12]\d|[1-9])日（([月火水木金土日])"
)
NO_SHIFT = DateShift(years=0, renewal_date=None)


def date_shift(scenario: dict[str, Any], relative_to: dt.date | None) -> DateShift:
    """The whole-year move (latest year with every document on or before `relative_to`)."""
    spec = scenario.get("relative_dates")
    if relative_to is None or not isinstance(spec, dict):
        return NO_SHIFT
    anchor = _as_date(spec.get("anchor"), "relative_dates.anchor")
    latest = max(
        [anchor, *(_as_date(raw["date"], "日付") for raw in scenario.get("documents") or [])]
    )
    years = relative_to.year - latest.year
    if DateShift(years, None).date(latest) > relative_to:
        years -= 1
    days = spec.get("renewal_in_days")
    renewal = relative_to + dt.timedelta(days=int(days)) if days is not None else None
    return DateShift(years=years, renewal_date=renewal)


def import_path(
    *, container: Container, path: Path, relative_to: dt.date | None = None
) -> ImportSummary:
    """Idempotent: engagements are keyed by scenario id, documents by content hash;
    `relative_to` moves the dates of scenarios that declare `relative_dates`."""
    created = existing = 0
    engagement_ids: dict[str, int] = {}
    for file in scenario_files(path):
        scenario = yaml.safe_load(file.read_text(encoding="utf-8"))
        if not isinstance(scenario, dict) or "engagement" not in scenario:
            raise InvalidInput(
                f"{file.name}: シナリオ形式（vendor / engagement / documents）ではありません。"
            )
        shift = date_shift(scenario, relative_to)
        engagement_id = _ensure_engagement(container, scenario, file, shift)
        engagement_ids[str(scenario.get("id", file.stem))] = engagement_id
        for raw in scenario.get("documents") or []:
            period = raw.get("period")
            result = ingest_document(
                container=container,
                data=DocumentInput(
                    engagement_id=engagement_id,
                    kind=str(raw["kind"]),
                    date=shift.date(_as_date(raw["date"], "日付")),
                    period=shift.period(str(period)) if period else None,
                    title=str(raw.get("title") or ""),
                    text=shift.text(str(raw["text"]), _as_date(raw["date"], "日付")),
                    source_filename=file.name,
                    external_id=str(raw.get("id")) if raw.get("id") else None,
                ),
            )
            if result.created:
                created += 1
            else:
                existing += 1

    return ImportSummary(len(engagement_ids), created, existing, engagement_ids)


def _ensure_engagement(
    container: Container, scenario: dict[str, Any], file: Path, shift: DateShift = NO_SHIFT
) -> int:
    external_id = str(scenario.get("id", file.stem))
    raw = scenario["engagement"]
    with container.session_factory() as session:
        found = repository.find_engagement_by_external_id(session, external_id)
        if found is not None:
            return found.id
        vendor = repository.get_or_create_vendor(
            session, name=str((scenario.get("vendor") or {}).get("name") or "（代行会社名なし）")
        )
        engagement = repository.create_engagement(
            session,
            vendor_id=vendor.id,
            service=str(raw.get("service") or ""),
            start_date=shift.date(_as_date(raw["start_date"], "開始日")),
            renewal_date=shift.renewal_date or shift.date(_as_date(raw["renewal_date"], "更新日")),
            notice_days=raw.get("notice_days"),
            monthly_fee_jpy=raw.get("monthly_fee_jpy"),
            kpi_targets=raw.get("kpi_targets") or {},
            external_id=external_id,
        )
        # the parties a draft names, when the scenario gives them (the demo's own company)
        for field_name in PARTY_FIELDS:
            value = (scenario.get("parties") or {}).get(field_name)
            if value:
                setattr(engagement, field_name, str(value))
        session.commit()
        return engagement.id
