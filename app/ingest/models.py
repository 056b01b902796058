"""Vendors, engagements and documents as the pages and the API see them (request and response)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, ValidationError

from app.core.normalize import unstorable_text_problem
from app.core.timestamps import IsoDate, UtcDateTime
from app.core.vocabulary import DocumentKind
from app.errors import InvalidInput

# One definition of each text limit: the API schemas, the page forms (handler and HTML
# `maxlength`) and the database columns agree on these.
PARTY_CHARS = 200  # engagement party columns (migration 0008)
FIELD_LIMITS = {"vendor_name": 200, "service": 300, "title": 300, "note": 500}
# Ids are SQLite/PostgreSQL integers: anything past int64 cannot name a row.
MAX_ID = 2**63 - 1
# PostgreSQL `integer` columns (fees) hold at most this.
MAX_INT32 = 2**31 - 1


def storable(value: str) -> str:
    """The one text rule (NUL, lone surrogates) as a Pydantic validator."""
    problem = unstorable_text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


StorableText = Annotated[str, AfterValidator(storable)]
# KPI values and targets: counts, yen and rates, never negative, NaN or infinite.
MAX_KPI_VALUE = 1e12
KpiNumber = Annotated[float, Field(ge=0, le=MAX_KPI_VALUE, allow_inf_nan=False)]


class VendorIn(BaseModel):
    name: StorableText = Field(
        min_length=1,
        max_length=FIELD_LIMITS["vendor_name"],
        examples=["株式会社セールスパートナー"],
    )


class VendorOut(BaseModel):
    id: int
    name: str


class EngagementIn(BaseModel):
    vendor_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    vendor_name: StorableText | None = Field(default=None, max_length=FIELD_LIMITS["vendor_name"])
    service: StorableText = Field(
        min_length=1, max_length=FIELD_LIMITS["service"], examples=["インサイドセールス代行"]
    )
    start_date: IsoDate
    renewal_date: IsoDate
    notice_days: int | None = Field(default=None, ge=0, le=3650)
    monthly_fee_jpy: int | None = Field(default=None, ge=0, le=MAX_INT32)
    kpi_targets: dict[Annotated[str, Field(max_length=64)], KpiNumber] = Field(
        default_factory=dict, examples=[{"appointments": 30}]
    )
    # Who the drafts are from and to (migration 0008); all optional, editable later.
    client_company: StorableText | None = Field(default=None, max_length=PARTY_CHARS)
    client_department: StorableText | None = Field(default=None, max_length=PARTY_CHARS)
    client_contact: StorableText | None = Field(default=None, max_length=PARTY_CHARS)
    vendor_department: StorableText | None = Field(default=None, max_length=PARTY_CHARS)
    vendor_contact: StorableText | None = Field(default=None, max_length=PARTY_CHARS)
    client_title: StorableText | None = Field(default=None, max_length=PARTY_CHARS)
    client_phone: StorableText | None = Field(default=None, max_length=PARTY_CHARS)
    client_email: StorableText | None = Field(default=None, max_length=PARTY_CHARS)


class DocumentSummary(BaseModel):
    id: int
    kind: DocumentKind
    date: dt.date
    period: str | None
    title: str
    source_filename: str | None
    created_at: UtcDateTime


class EngagementOut(BaseModel):
    id: int
    vendor: VendorOut
    service: str
    start_date: dt.date
    renewal_date: dt.date
    notice_days: int | None
    monthly_fee_jpy: int | None
    kpi_targets: dict[str, float]
    days_left: int
    document_count: int
    client_company: str | None = None
    client_department: str | None = None
    client_contact: str | None = None
    vendor_department: str | None = None
    vendor_contact: str | None = None
    client_title: str | None = None
    client_phone: str | None = None
    client_email: str | None = None


class EngagementDetail(EngagementOut):
    documents: list[DocumentSummary]


class DocumentIn(BaseModel):
    kind: DocumentKind
    date: IsoDate
    period: str | None = Field(default=None, examples=["2025-04"], description="YYYY-MM")
    title: StorableText = Field(default="", max_length=FIELD_LIMITS["title"])
    text: StorableText


class ChunkOut(BaseModel):
    ordinal: int
    start: int
    end: int
    prefix: str
    text: str


class DocumentOut(DocumentSummary):
    engagement_id: int
    text: str
    content_hash: str
    chunks: list[ChunkOut]


class IngestOut(BaseModel):
    created: bool = Field(description="false when the same text was already stored")
    message: str
    document: DocumentOut


# Japanese names of the fields a form or the API may get wrong (for the messages below).
FIELD_LABELS = {
    "vendor_name": "代行会社名",
    "name": "代行会社名",
    "service": "サービス内容",
    "start_date": "開始日",
    "renewal_date": "更新日",
    "notice_days": "解約予告期間",
    "monthly_fee_jpy": "月額費用",
    "kpi_targets": "KPI目標",
    "title": "タイトル",
    "text": "本文",
    "date": "日付",
    "note": "メモ",
    "value": "値",
    "kind": "種類",
    "period": "対象期間",
    "key": "KPI",
    "label": "ラベル",
    "question": "質問",
    "markdown": "本文",
    "author": "作成者",
    "q": "検索語",
    "k": "件数",
    "mode": "検索方式",
    "format": "形式",
    "as_of": "基準日",
    "version": "版",
    "base_version": "元の版",
    "conversation_id": "会話",
    "vendor_id": "代行会社",
    "engagement_id": "契約",
    "document_id": "文書",
    "draft_id": "下書き",
    "file": "ファイル",
    "email": "メールアドレス",
    "password": "パスワード",
    "role": "役割",
}


def describe_error(error: Mapping[str, Any]) -> str:
    """One Pydantic error as a Japanese sentence naming the field (pages and API alike)."""
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    name = next((FIELD_LABELS[part] for part in reversed(loc) if part in FIELD_LABELS), None)
    label = name or (loc[-1] if loc else "入力")
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "string_too_long":
        return f"{label}は{ctx.get('max_length')}文字以内で入力してください。"
    if kind in ("string_too_short", "missing"):
        return f"{label}を入力してください。"
    if kind in ("less_than_equal", "less_than"):
        return f"{label}は{ctx.get('le', ctx.get('lt'))}以下で入力してください。"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{label}は{ctx.get('ge', ctx.get('gt'))}以上で入力してください。"
    if kind == "json_invalid":
        return "JSON の形式に誤りがあります。"
    if kind in ("literal_error", "enum"):
        return f"{label}の値が選択肢にありません（{ctx.get('expected', '')}）。"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{label}は整数で指定してください。"
    if kind in ("float_parsing", "float_type"):
        return f"{label}は数値で指定してください。"
    if kind == "finite_number":
        return f"{label}は有限の数値で入力してください（NaN・無限大は使えません）。"
    if kind == "value_error" and isinstance(ctx.get("error"), ValueError):
        return f"{label}: {ctx['error']}"
    return f"{label}の入力内容に誤りがあります。"


def describe_validation(error: ValidationError) -> str:
    """Every problem of a form, one sentence each."""
    return " ".join(dict.fromkeys(describe_error(item) for item in error.errors()))


def check_form_field(name: str, value: str) -> None:
    """A page form's text field held to the API's limit and the text rule (Japanese 422)."""
    label, limit = FIELD_LABELS[name], FIELD_LIMITS[name]
    if len(value) > limit:
        raise InvalidInput(f"{label}は{limit}文字以内で入力してください（{len(value):,}文字）。")
    if (problem := unstorable_text_problem(value)) is not None:
        raise InvalidInput(f"{label}: {problem}")


def form_part_bytes(max_text_chars: int) -> int:
    """The form-field size that lets a paste of `max_text_chars` characters through.

    A urlencoded form sends a Japanese character as 9 bytes (%E3%81%82) and an emoji as 12;
    Starlette's 1 MB default cut pastes at about 116,000 characters.
    """
    return max_text_chars * 12 + 64 * 1024
