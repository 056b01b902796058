"""Routes for api drafts (thin: parse, call one service, render)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["drafts"])
