"""Renewal Desk (更新デスク): ingest → store → retrieve → analyse → draft → serve."""
