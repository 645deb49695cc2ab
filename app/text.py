"""Text helpers: every stored string is NFC-normalised and stripped."""

from __future__ import annotations

import unicodedata


def nfc(value: str | None) -> str | None:
    """Return `value` in Unicode NFC with surrounding whitespace removed (None stays None)."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", value).strip()
