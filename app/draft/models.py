"""The shapes the draft API and pages return (the tables are `app.store.draft_tables`).

Kind labels come from `container.knowledge.vocabulary`; engine and origin labels are the
drafting feature's own.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.analyse.models import DecisionKind
from app.core.timestamps import UtcDateTime
from app.core.vocabulary import DraftKind
from app.draft.citations import DraftCitation
from app.ingest.models import MAX_ID, StorableText

Engine = Literal["offline", "llm"]
Origin = Literal["generated", "edited"]
ENGINE_LABELS: dict[str, str] = {"offline": "オフライン（テンプレート）", "llm": "LLM"}
ORIGIN_LABELS: dict[str, str] = {"generated": "生成", "edited": "編集"}


class DraftRequest(BaseModel):
    """The author is the signed-in user (or the token's user), never typed in."""

    model_config = ConfigDict(extra="forbid")
    kind: DraftKind


class DraftEdit(BaseModel):
    markdown: StorableText = Field(min_length=1, max_length=200_000)
    base_version: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="編集の元にした版。最新でなければ 409（他の人の保存を上書きしない）",
    )


class PreviewIn(BaseModel):
    markdown: StorableText = Field(max_length=200_000)


class PreviewOut(BaseModel):
    html: str
    problems: list[str]


class VersionSummary(BaseModel):
    version: int
    origin: Origin
    origin_label: str
    engine: Engine
    author: str
    created_at: UtcDateTime
    based_on: int | None
    note: str | None


class DraftOut(BaseModel):
    """One version of a draft; `citations[n-1]` is what marker `[n]` in `markdown` points at."""

    id: int
    engagement_id: int
    kind: DraftKind
    kind_label: str
    version: int
    latest_version: int
    markdown: str
    citations: list[DraftCitation]
    decision: DecisionKind | None = Field(description="判断（更新判断メモのみ）")
    origin: Origin
    engine: Engine
    author: str
    created_at: UtcDateTime
    as_of: dt.date | None
    knowledge_version: str
    prompt_version: str
    note: str | None
    stale: bool = Field(description="この版の作成後に文書が追加・削除された")
    problems: list[str] = Field(description="必須の見出しの欠落や解決できない出典番号")
    versions: list[VersionSummary]


class DraftSummary(BaseModel):
    id: int
    kind: DraftKind
    kind_label: str
    latest_version: int
    origin: Origin
    engine: Engine
    author: str
    updated_at: UtcDateTime
    stale: bool


__all__ = [
    "ENGINE_LABELS",
    "ORIGIN_LABELS",
    "DraftEdit",
    "DraftOut",
    "DraftRequest",
    "DraftSummary",
    "Engine",
    "Origin",
    "PreviewIn",
    "PreviewOut",
    "VersionSummary",
]
