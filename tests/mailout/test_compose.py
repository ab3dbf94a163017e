"""Composing any mail: text + HTML, attachments, threading, and headers that nothing from outside can forge."""

from __future__ import annotations

import pytest

from mailout.compose import SUBJECT_LIMIT, ComposeError, compose, envelope, one_line
from tests.mailout.helpers import FROM, ORIGINAL_ID, WHEN, parse, reply


def test_text_with_html_alternative_then_the_attachment() -> None:
    msg = parse(reply().as_bytes())
    assert msg.get_content_type() == "multipart/mixed"
    text, html = msg.get_body(preferencelist=("plain",)), msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "情况表已收到" in text.get_content() and "<p>" in html.get_content()
    assert [a.get_filename() for a in msg.iter_attachments()] == ["情况表（空白）.docx"]


def test_a_text_only_mail_is_one_plain_part() -> None:
    msg = parse(reply(html=None, attachments=()).as_bytes())
    assert msg.get_content_type() == "text/plain" and "情况表已收到" in msg.get_content()


def test_headers_round_trip_chinese_sender_threading_date_and_extra_headers() -> None:
    msg = parse(reply().as_bytes())
    assert msg["From"].addresses[0].display_name == "中共苏州市委老干部局组织指导处"
    assert msg["From"].addresses[0].addr_spec == "szlgbjdjc@163.com"
    assert msg["Subject"] == "回执：教育局退休第三支部活动情况"
    assert msg["In-Reply-To"] == ORIGINAL_ID and msg["References"] == ORIGINAL_ID
    assert msg["Message-ID"].endswith("@163.com>")
    assert msg["Date"].datetime == WHEN
    assert msg["Auto-Submitted"] == "auto-replied" and msg["X-Auto-Response-Suppress"] == "All"


def test_sender_without_a_name_gets_the_default_one() -> None:
    msg = parse(reply(sender="szlgbjdjc@163.com", sender_name="组织指导处").as_bytes())
    assert msg["From"].addresses[0].display_name == "组织指导处"


def test_a_ten_megabyte_subject_is_cut_to_one_short_folded_ascii_header() -> None:
    huge = "回执：" + "情况表\r\n" * 2_000_000
    raw = reply(subject=huge).as_bytes()
    subject = parse(raw)["Subject"]
    assert SUBJECT_LIMIT - 2 <= len(subject) <= SUBJECT_LIMIT and subject.endswith("…") and "\n" not in subject
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert len(head) < 4000
    for line in head.split(b"\r\n"):
        assert len(line) <= 78, line
        line.decode("ascii")


def test_a_line_break_in_the_subject_never_makes_a_header_of_its_own() -> None:
    msg = parse(reply(subject="回执：情况表\r\nBcc: thief@example.com").as_bytes())
    assert msg["Bcc"] is None and msg["Subject"] == "回执：情况表 Bcc: thief@example.com"


@pytest.mark.parametrize(
    ("field", "value", "header"),
    [
        ("to", ("limei@example.com\r\nBcc: thief@example.com",), "To"),
        ("cc", ("a@example.com\nX-Evil: 1",), "Cc"),
        ("sender", "组织指导处 <szlgbjdjc@163.com>\r\nBcc: thief@example.com", "From"),
        ("in_reply_to", "<a@b>\r\nBcc: thief@example.com", "In-Reply-To"),
        ("references", ("<a@b>", "<c@d>\nBcc: thief@example.com"), "References"),
        ("headers", {"X-Intake-Note": "ok\r\nBcc: thief@example.com"}, "X-Intake-Note"),
    ],
)
def test_a_line_break_in_any_other_header_value_is_refused_naming_the_header(
    field: str, value: object, header: str
) -> None:
    with pytest.raises(ComposeError, match=f"^{header}: a line break"):
        reply(**{field: value})


@pytest.mark.parametrize(
    ("over", "header"),
    [
        ({"to": ("不是地址",)}, "To"),
        ({"to": ("王芳@例子.中国",)}, "To"),
        ({"in_reply_to": "no-angle-brackets@example.com"}, "In-Reply-To"),
        ({"references": ("<has space@example.com>",)}, "References"),
        ({"headers": {"From": "thief@example.com"}}, "'From'"),
        ({"headers": {"Bad Name": "x"}}, "'Bad Name'"),
    ],
)
def test_values_that_are_no_address_or_message_id_or_own_header_are_refused(
    over: dict[str, object], header: str
) -> None:
    with pytest.raises(ComposeError, match=f"^{header}"):
        reply(**over)


def test_an_address_with_query_characters_is_one_address_in_header_and_envelope() -> None:
    hostile = "limei?cc=thief%40evil.example&body=hi@example.com"
    msg = compose(sender=FROM, to=(hostile,), subject="回执", text="x", date=WHEN)
    again = parse(msg.as_bytes())
    assert [a.addr_spec for a in again["To"].addresses] == [hostile]
    assert envelope(msg) == ("szlgbjdjc@163.com", [hostile])


def test_one_line_flattens_breaks_controls_and_direction_overrides_and_cuts_with_an_ellipsis() -> None:
    assert one_line("第一\r\n第二\t\x00第三\u202e", 50) == "第一 第二 第三"
    assert one_line("情况表" * 10, 10) == "情况表情况表情况表…"
    assert one_line("短", 10) == "短"
    assert len(one_line(" " * 10_000_000 + "x", 10)) <= 10
