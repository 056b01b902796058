"""Moved to `app.renewals.timeline`; this name stays until `app.serve` imports it from there."""

from app.renewals.timeline import Timeline

__all__ = ["Timeline"]
