"""Verification codes a person can read from paper and type: Crockford base32, printed in groups of four.

New codes are 16 symbols of Crockford's base32 alphabet (0-9 and A-Z without I, L, O, U), drawn with the `secrets`
module: 16 × 5 = 80 random bits, far beyond guessing at the verify page's rate limit. Typing is forgiving the way
Crockford specifies: case does not matter, O reads as 0, I and L read as 1, spaces and dashes are ignored.
Codes issued before (24-character `secrets.token_urlsafe`, case-sensitive, may hold "-" and "_") keep their exact
form; the look-up (services.verify) tries the typed text as is before normalising it.
Pure functions: no Flask, no database.
"""

from __future__ import annotations

import re
import secrets

#: Crockford's base32 symbols (https://www.crockford.com/base32.html): no I, L, O, U.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Symbols in a new code (80 bits) and symbols per printed group.
LENGTH = 16
GROUP = 4
#: What a reader may type for a symbol that looks alike (Crockford decoding), after upper-casing.
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
#: Separators a reader may type or copy between groups: spaces of any kind and dashes of any kind.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_NEW_CODE = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")


def new_code() -> str:
    """A fresh verification code: LENGTH symbols of ALPHABET (80 random bits from `secrets`), no separators."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str | None:
    """The stored form of a new-format code as a person typed it, or None when it cannot be one.

    Takes any text; drops spaces and dashes, upper-cases, reads O as 0 and I/L as 1. Returns the LENGTH-symbol code,
    or None when what is left is not LENGTH symbols of ALPHABET (e.g. a code issued before, or a typo such as U).
    """
    text = _SEPARATORS.sub("", typed or "").upper().translate(_LOOK_ALIKES)
    return text if _NEW_CODE.fullmatch(text) else None


def grouped(code: str, separator: str = "\u00a0") -> str:
    """A new-format code in groups of GROUP symbols joined by `separator` (default a no-break space), for printing.

    A code of another form (issued before) is returned unchanged: its "-" and "_" belong to it.
    """
    if not _NEW_CODE.fullmatch(code or ""):
        return code
    return separator.join(code[i:i + GROUP] for i in range(0, len(code), GROUP))
