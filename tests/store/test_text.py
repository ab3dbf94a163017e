"""Text made safe for the database and keys made blind to what a person cannot see."""

from __future__ import annotations

import sys
import unicodedata

from store.text import FORMAT_CHARACTERS, clean_text, match_key


def test_the_format_character_pattern_covers_every_category_cf_code_point() -> None:
    missing = [hex(c) for c in range(sys.maxunicode + 1)
               if unicodedata.category(chr(c)) == "Cf" and not FORMAT_CHARACTERS.fullmatch(chr(c))]
    assert missing == []


def test_zero_width_characters_and_a_bom_do_not_change_a_match_key() -> None:
    plain = "苏州市财政局离退休干部党支部"
    dressed = "\ufeff苏州市\u200b财政局\u200d离退休\u2060干部 党支部\u00ad"
    assert match_key(dressed) == match_key(plain) == plain


def test_full_width_and_spacing_variants_share_one_key() -> None:
    assert match_key("第一 党支部（１）") == match_key("第一党支部(1)")


def test_bidi_overrides_never_survive_into_stored_text_but_other_text_does() -> None:
    assert clean_text("活动照片\u202egpj.exe") == "活动照片gpj.exe"
    assert clean_text("\u2067王芳\u2069") == "王芳"
    assert clean_text("王\u200b芳") == "王\u200b芳"  # kept as typed; only keys drop it
