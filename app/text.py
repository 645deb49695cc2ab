"""Text helpers: every stored string is NFC-normalised and stripped."""

from __future__ import annotations

import re
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


#: C0 controls, DEL and C1 controls: never typed on purpose; NUL is refused by PostgreSQL in text.
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
#: The same without tab, line feed and carriage return, which multi-line text may hold.
CONTROL_IN_TEXT_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Bidirectional formatting characters (embeddings, overrides, isolates, marks): they can make "hoso\u202efdp.exe"
#: display as "hosoexe.pdf", so they are removed from file names before a name is stored or shown.
BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def has_control(text: str | None, multiline: bool = False) -> bool:
    """True when `text` holds a control character (with multiline=True, tab/CR/LF are allowed)."""
    return bool(text) and bool((CONTROL_IN_TEXT_RE if multiline else CONTROL_RE).search(text))


def without_controls(text: str | None, multiline: bool = False) -> str:
    """`text` with its control characters removed (tab/CR/LF kept when multiline=True); None gives ""."""
    return (CONTROL_IN_TEXT_RE if multiline else CONTROL_RE).sub("", text or "")


def clean_filename(name: str | None, default: str = "tep") -> str:
    """A file name safe to store, show and put in a header: NFC, no control or bidi characters, no path,
    stripped, at most 255 characters; `default` when nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    text = BIDI_RE.sub("", CONTROL_RE.sub("", text))
    text = text.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return text[:255] or default
