"""Text helpers: every stored string is NFC-normalised and stripped."""

from __future__ import annotations

import unicodedata


def nfc(value: str | None) -> str | None:
    """Return `value` in Unicode NFC with surrounding whitespace removed (None stays None)."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", value).strip()


#: Combining marks that make separate Vietnamese letters (ă â ê ô ơ ư) — kept in the primary sort key.
_LETTER_MARKS = {"\u0306": 1, "\u0302": 2, "\u031b": 3}  # breve, circumflex, horn
#: Tone marks, in the conventional order (ngang, huyền, sắc, hỏi, ngã, nặng) — secondary sort key.
_TONES = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}


def fold(text: str | None) -> str:
    """Search key: no tones or letter marks, đ → d, lower case. "Thủy" and "Thuỷ" (NFC or NFD) fold alike."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D").casefold()


def vn_sort_key(text: str | None) -> tuple:
    """Vietnamese alphabetical order: a < ă < â … d < đ …, then tones as a tie-breaker; NFC/NFD and
    old/new tone placement ("Thuỷ"/"Thủy") sort the same."""
    primary: list[tuple[str, int]] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFD", text or ""):
        if ch in _LETTER_MARKS and primary:
            base, mark = primary[-1]
            primary[-1] = (base, mark * 10 + _LETTER_MARKS[ch])
        elif ch in _TONES:
            tones.append(_TONES[ch])
        elif unicodedata.combining(ch):
            continue
        elif ch in "đĐ":
            primary.append(("d", 9))
        else:
            primary.append((ch.casefold(), 0))
    return (tuple(primary), tuple(tones))
