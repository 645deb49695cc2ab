"""Shared column helpers for the models."""

from __future__ import annotations

import datetime as dt


def now_utc() -> dt.datetime:
    """Timezone-aware current time; stored as UTC."""
    return dt.datetime.now(dt.UTC)
