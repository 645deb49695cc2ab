"""Verification codes a person can type: Crockford base32 alphabet, forgiving input, groups of four."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from app.certificates import codes

CODE = "7KQ2M9XD4H1RZP30"


def test_new_codes_use_an_alphabet_without_look_alikes():
    """16 symbols from 32 = 80 random bits; never I, L, O or U, never a separator."""
    assert len(codes.ALPHABET) == 32 and len(set(codes.ALPHABET)) == 32
    assert not set("ILOU") & set(codes.ALPHABET)
    made = {codes.new_code() for _ in range(300)}
    assert len(made) == 300  # 80 bits: no repeats
    for code in made:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{16}", code), code
    assert set("".join(made)) == set(codes.ALPHABET)  # every symbol is used (300 × 16 draws)


def test_typed_forms_normalise_to_the_stored_code():
    for typed in ("7KQ2M9XD4H1RZP30", "7kq2 m9xd 4h1r zp30", "7KQ2-M9XD-4H1R-ZP30", " 7KQ2 - M9XD - 4H1R - ZP30 ",
                  "7KQ2M9XD4HIRZP3O",  # I for 1, O for 0
                  "7kq2m9xd4hlrzpo0",  # l for 1, o for 0 (and 0 for 0)
                  "7KQ2\u00a0M9XD\u20094H1R\u2013ZP30"):  # no-break space, thin space, en dash as copied from a PDF
        expected = CODE if "o0" not in typed else "7KQ2M9XD4H1RZP00"
        assert codes.normalise(typed) == expected, typed


def test_what_cannot_be_a_new_code_is_not_normalised():
    assert codes.normalise("7KQ2M9XD4H1RZP3U") is None  # U is not in the alphabet
    assert codes.normalise("7KQ2M9XD4H1RZP3") is None  # 15 symbols
    assert codes.normalise("7KQ2M9XD4H1RZP300") is None  # 17 symbols
    assert codes.normalise("Xk9_2b-Qw7LmN0pQrS3tUvAb") is None  # a code issued before (token_urlsafe)
    assert codes.normalise("") is None and codes.normalise(None) is None


def test_printed_in_groups_of_four_old_codes_unchanged():
    assert codes.grouped(CODE) == "7KQ2\u00a0M9XD\u00a04H1R\u00a0ZP30"
    assert codes.grouped(CODE, " ") == "7KQ2 M9XD 4H1R ZP30"
    assert codes.grouped("Xk9_2b-Qw7LmN0pQrS3tUvAb") == "Xk9_2b-Qw7LmN0pQrS3tUvAb"


@given(st.text(alphabet=codes.ALPHABET, min_size=codes.LENGTH, max_size=codes.LENGTH), st.data())
def test_any_spacing_and_case_reads_back(code, data):
    typed = ""
    for symbol in code:
        symbol = data.draw(st.sampled_from([symbol, symbol.lower()]))
        if symbol == "0":
            symbol = data.draw(st.sampled_from(["0", "O", "o"]))
        if symbol == "1":
            symbol = data.draw(st.sampled_from(["1", "I", "i", "L", "l"]))
        typed += symbol + data.draw(st.sampled_from(["", "", " ", "-", " - ", "\u00a0"]))
    assert codes.normalise(typed) == code
