"""Header, parameter and body decoding the ways Chinese mail clients send them."""

from __future__ import annotations

import base64

import pytest

from ingest.headers import codec_for, decode_bytes, decode_header, decode_header_bytes, parse_params, scrub


def _b_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def test_gb2312_family_labels_decode_as_gb18030() -> None:
    for label in ("gb2312", "GBK", "x-gbk", "cp936", "GB_2312-80", '"gb2312"', "gb18030"):
        assert codec_for(label) == "gb18030"
    assert codec_for("utf8") == "utf-8"
    assert codec_for("no-such-charset") is None


def test_a_gbk_only_character_labelled_gb2312_still_decodes() -> None:
    # 镕 is in GBK but not in GB2312: clients label GBK text "gb2312" all the time.
    word = "=?gb2312?B?" + base64.b64encode("朱镕基".encode("gbk")).decode() + "?="
    assert decode_header(word) == "朱镕基"


def test_adjacent_encoded_words_split_mid_character_are_joined_before_decoding() -> None:
    data = "主题党日活动情况表".encode()
    first, second = data[:7], data[7:]  # cuts the third character in half
    value = (f"=?UTF-8?B?{base64.b64encode(first).decode()}?=\r\n "
             f"=?utf-8?B?{base64.b64encode(second).decode()}?=")
    assert decode_header(value) == "主题党日活动情况表"


def test_gbk_encoded_words_split_mid_character_in_q_encoding() -> None:
    data = "情况表".encode("gbk")
    q1 = "".join(f"={b:02X}" for b in data[:3])
    q2 = "".join(f"={b:02X}" for b in data[3:])
    assert decode_header(f"=?gbk?Q?{q1}?= =?GBK?Q?{q2}?=") == "情况表"


def test_text_between_encoded_words_and_plain_text_is_kept() -> None:
    value = "Re: " + _b_word("更正", "gb2312") + " 情况表 " + _b_word("附件", "utf-8")
    assert decode_header(value) == "Re: 更正 情况表 附件"


def test_raw_8bit_gbk_header_is_recovered_from_surrogate_escapes() -> None:
    raw = "主题党日情况表（更正）".encode("gbk")
    as_parsed = raw.decode("ascii", "surrogateescape")  # what the stdlib parser stores for 8-bit header bytes
    assert decode_header(as_parsed) == "主题党日情况表（更正）"
    assert decode_header_bytes(raw) == "主题党日情况表（更正）"


def test_raw_8bit_utf8_header_is_read_as_utf8() -> None:
    as_parsed = "情况表".encode().decode("ascii", "surrogateescape")
    assert decode_header(as_parsed) == "情况表"


def test_rfc2047_inside_quotes_in_a_filename_parameter() -> None:
    value = f'application/msword; name="{_b_word("情况表.doc", "gbk")}"'
    ctype, params = parse_params(value)
    assert ctype == "application/msword"
    assert params["name"] == "情况表.doc"


def test_rfc2231_continuations_with_percent_encoding_are_joined_then_decoded() -> None:
    name = "“助力火红年代”主题党日活动情况表.docx".encode()
    quoted = "".join(f"%{b:02X}" for b in name)
    pieces = [quoted[i:i + 40] for i in range(0, len(quoted), 40)]
    params = "; ".join(
        (f"filename*{i}*=utf-8''{p}" if i == 0 else f"filename*{i}*={p}") for i, p in enumerate(pieces)
    )
    _disp, decoded = parse_params(f"attachment; {params}")
    assert decoded["filename"] == "“助力火红年代”主题党日活动情况表.docx"


def test_rfc2231_single_value_in_gbk_and_plain_continuations() -> None:
    gbk = "".join(f"%{b:02X}" for b in "情况表".encode("gbk"))
    _d, one = parse_params(f"attachment; filename*=gb2312''{gbk}.xlsx")
    assert one["filename"] == "情况表.xlsx"
    _d, cont = parse_params('attachment; filename*0="report-"; filename*1="2026.docx"')
    assert cont["filename"] == "report-2026.docx"


def test_raw_8bit_gbk_filename_parameter() -> None:
    raw = 'attachment; filename="苏州市财政局情况表.docx"'.encode("gbk").decode("ascii", "surrogateescape")
    _d, params = parse_params(raw)
    assert params["filename"] == "苏州市财政局情况表.docx"


def test_windows_path_in_a_quoted_name_keeps_its_backslashes() -> None:
    _c, params = parse_params(r'image/png; name="C:\TEMP\nsmail.png"')
    assert params["name"] == r"C:\TEMP\nsmail.png"


def test_body_bytes_declared_ascii_but_gbk_are_decoded_as_chinese() -> None:
    assert decode_bytes("附件是情况表".encode("gbk"), "us-ascii") == "附件是情况表"
    assert decode_bytes("附件是情况表".encode("gbk"), None) == "附件是情况表"
    assert decode_bytes("附件是情况表".encode(), "gb2312") == "附件是情况表"  # wrong label, valid UTF-8


def test_no_lone_surrogate_or_nul_ever_comes_out() -> None:
    nasty = "a\udcff\ud800b\x00c"
    assert scrub(nasty) == "a\ufffd\ufffdbc"
    for value in (b"\xff\xfe\x80 =?utf-8?B?////?=", b"=?gbk?Q?=FF=FE?=", b"\xed\xa0\x80", b"=?bogus?B?5Lit?="):
        text = decode_header_bytes(value)
        assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)
        assert "\x00" not in text
    assert decode_header_bytes(b"=?bogus?B?5Lit?=") == "中"  # unknown label: the bytes are still UTF-8


def test_utf8_text_cut_off_mid_character_stays_utf8() -> None:
    data = ("您好，附件是我支部主题党日活动情况表，请查收。" * 3).encode()[:-1]
    text = decode_bytes(data, "utf-8")
    assert text.startswith("您好，附件是我支部主题党日活动情况表")
    assert decode_bytes(data, None).startswith("您好，附件是")
    assert decode_bytes(data, "gb2312").startswith("您好，附件是")


def test_gbk_text_is_never_taken_for_utf8() -> None:
    data = "苏州市财政局离退休干部党支部主题党日活动情况表".encode("gbk")
    assert decode_bytes(data, "gb2312") == "苏州市财政局离退休干部党支部主题党日活动情况表"
    assert decode_bytes(data, "utf-8") == "苏州市财政局离退休干部党支部主题党日活动情况表"  # mislabelled


# -- one broken byte spoils only itself -----------------------------------------------------------------------------

SUBJECT = "“助力火红年代”主题党日活动情况表"


def _damaged(how: str) -> bytes:
    data = SUBJECT.encode()
    return {
        "inserted": data[:9] + b"\xff" + data[9:],
        "changed": data[:10] + b"A" + data[11:],  # the middle byte of 火 became an ASCII letter
        "dropped": data[:10] + data[11:],
        "cut off": data[:-1],
    }[how]


def _spoiled_only_locally(text: str) -> None:
    assert text.startswith("“助力") and text.endswith(("情况表", "情况\ufffd"))
    assert "红年代”主题党日活动情况" in text
    assert text.count("\ufffd") <= 2 and len(text) <= len(SUBJECT) + 2


@pytest.mark.parametrize("how", ["inserted", "changed", "dropped", "cut off"])
def test_a_raw_utf8_subject_with_one_broken_byte_keeps_its_chinese(how: str) -> None:
    _spoiled_only_locally(decode_header(_damaged(how).decode("ascii", "surrogateescape")))


@pytest.mark.parametrize("how", ["inserted", "changed", "dropped", "cut off"])
def test_a_utf8_encoded_word_with_one_broken_byte_keeps_its_chinese(how: str) -> None:
    word = f"=?UTF-8?B?{base64.b64encode(_damaged(how)).decode()}?="
    _spoiled_only_locally(decode_header(word))


def test_encoded_words_in_different_charsets_each_decode_in_their_own() -> None:
    value = " ".join([_b_word("回复：", "gbk"), _b_word("情况表", "utf-8"), _b_word("報告", "big5"),
                      "=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?="])
    assert decode_header(value) == "回复：情况表報告テスト"


def test_a_broken_encoded_word_does_not_spoil_its_neighbours() -> None:
    broken = "=?utf-8?B?" + base64.b64encode("情况".encode()[:-1] + b"A" + "表".encode()).decode() + "?="
    value = _b_word("苏州市财政局", "gb2312") + " " + broken + " " + _b_word("（更正）", "utf-8")
    text = decode_header(value)
    assert text.startswith("苏州市财政局情") and text.endswith("表（更正）")
    assert text.count("\ufffd") <= 2


def test_raw_runs_in_utf8_and_gbk_side_by_side_each_decode_right() -> None:
    raw = "回复：".encode() + b" " + "苏州市财政局离退休干部党支部情况表".encode("gbk")
    assert decode_header_bytes(raw) == "回复： 苏州市财政局离退休干部党支部情况表"
    raw = "苏州市财政局情况表".encode("gbk") + b" " + "主题党日活动情况表（更正）".encode()
    assert decode_header_bytes(raw) == "苏州市财政局情况表 主题党日活动情况表（更正）"


@pytest.mark.parametrize(
    "text",
    ["主题党日活动情况表（更正）", "苏州市财政局离退休干部党支部", "系统", "图片", "情况表", "关于报送情况表的通知",
     "市委老干部局组织指导处"],
)
def test_raw_gbk_headers_still_decode_as_gbk(text: str) -> None:
    raw = text.encode("gbk")
    assert decode_header(raw.decode("ascii", "surrogateescape")) == text or len(text) <= 2
    assert decode_header_bytes(raw, "gb2312") == text


def test_accented_utf8_in_a_gb_mail_stays_latin() -> None:
    assert decode_header_bytes("danglüe@email.com".encode(), "gb2312") == "danglüe@email.com"


def test_big5_and_utf8_runs_in_one_unlabelled_text_each_decode_right() -> None:
    raw = "中文測試 新細明體".encode("big5") + b" " + "情况表".encode()
    assert decode_bytes(raw, None, "big5") == "中文測試 新細明體 情况表"


@pytest.mark.parametrize("raw", [
    "attachment; filename*=UTF-8''情况表.docx".encode(),
    "attachment; filename*=GBK''情况表.docx".encode("gbk"),
    b"attachment; filename*0*=utf-8''%E6%83%85%E5%86%B5; filename*1*=%E8%A1%A8.docx",
])
def test_an_rfc2231_file_name_sent_with_raw_8bit_bytes_is_read_not_a_crash(raw: bytes) -> None:
    """Found by the fault suite: unencoded bytes in filename*= made the whole mail unreadable."""
    _value, params = parse_params(raw.decode("utf-8", "surrogateescape"))
    assert params["filename"] == "情况表.docx"


@pytest.mark.parametrize("label", ["idna", "punycode", "undefined", "base64", "rot13", "unicode_escape"])
def test_a_charset_label_that_names_no_text_encoding_is_read_as_no_label(label: str) -> None:
    """Found by the fault suite: =?idna?…?= raised UnicodeError (not a decoding error) and lost the mail."""
    assert codec_for(label) is None
    assert decode_header(f"=?{label}?B?5oOF5Ya16KGo?=") == "情况表"
