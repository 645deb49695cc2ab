"""Vietnamese text handling: NFC storage, tone-placement-insensitive search, alphabetical order."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from app.text import fold, nfc, vn_sort_key


def test_nfc_and_tone_placement_fold_alike():
    old_style, new_style = "Phường Thuỷ Nguyên", "Phường Thủy Nguyên"
    nfd = unicodedata.normalize("NFD", old_style)
    assert nfc(nfd) == old_style
    assert fold(old_style) == fold(new_style) == fold(nfd) == "phuong thuy nguyen"
    assert fold("Đặc khu Bạch Long Vĩ") == "dac khu bach long vi"
    assert fold("🌸 Hoa") == "🌸 hoa"


def test_vietnamese_alphabetical_order():
    words = ["Đông", "Dương", "Ân", "Ăn", "An", "Bình", "Ơn", "Ôn", "On", "Ưu", "Uy"]
    assert sorted(words, key=vn_sort_key) == ["An", "Ăn", "Ân", "Bình", "Dương", "Đông", "On", "Ôn", "Ơn", "Uy", "Ưu"]
    assert sorted(["Hà", "Ha", "Hả", "Há", "Hã", "Hạ"], key=vn_sort_key) == ["Ha", "Hà", "Há", "Hả", "Hã", "Hạ"]
    assert vn_sort_key("Thuỷ") == vn_sort_key("Thủy") == vn_sort_key(unicodedata.normalize("NFD", "Thủy"))


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ ", max_size=20))
def test_sort_key_ignores_normal_form(text):
    assert vn_sort_key(unicodedata.normalize("NFD", text)) == vn_sort_key(unicodedata.normalize("NFC", text))
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)
