"""Kept only so `app.chat.segments` still imports: the one Sudachi wrapper is
`app.retrieve.tokenizer` (`SudachiTokenizer.analyze`); delete this once segments.py imports
`Analysis` from there."""

from __future__ import annotations

from app.retrieve.tokenizer import Analysis

__all__ = ["Analysis"]
