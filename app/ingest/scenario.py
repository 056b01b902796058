"""Import engagements from YAML files in the evaluation-scenario format (labels ignored)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.container import Container
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


def import_path(*, container: Container, path: Path) -> ImportSummary:
    """Idempotent: engagements are keyed by scenario id, documents by content hash."""
    created = existing = 0
    engagement_ids: dict[str, int] = {}
    for file in scenario_files(path):
        scenario = yaml.safe_load(file.read_text(encoding="utf-8"))
        if not isinstance(scenario, dict) or "engagement" not in scenario:
            raise InvalidInput(
                f"{file.name}: シナリオ形式（vendor / engagement / documents）ではありません。"
            )
        engagement_id = _ensure_engagement(container, scenario, file)
        engagement_ids[str(scenario.get("id", file.stem))] = engagement_id
        for raw in scenario.get("documents") or []:
            period = raw.get("period")
            result = ingest_document(
                container=container,
                data=DocumentInput(
                    engagement_id=engagement_id,
                    kind=str(raw["kind"]),
                    date=_as_date(raw["date"], "日付"),
                    period=str(period) if period else None,
                    title=str(raw.get("title") or ""),
                    text=str(raw["text"]),
                    source_filename=file.name,
                    external_id=str(raw.get("id")) if raw.get("id") else None,
                ),
            )
            if result.created:
                created += 1
            else:
                existing += 1

    return ImportSummary(len(engagement_ids), created, existing, engagement_ids)


def _ensure_engagement(container: Container, scenario: dict[str, Any], file: Path) -> int:
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
            start_date=_as_date(raw["start_date"], "開始日"),
            renewal_date=_as_date(raw["renewal_date"], "更新日"),
            notice_days=raw.get("notice_days"),
            monthly_fee_jpy=raw.get("monthly_fee_jpy"),
            kpi_targets=raw.get("kpi_targets") or {},
            external_id=external_id,
        )
        session.commit()
        return engagement.id
