"""The digest mail's structure: text + HTML alternatives, the 汇总表 attached, our marker headers."""

from __future__ import annotations

import io

import openpyxl
import pytest

from digest.compose import DIGEST_HEADER, ComposeError, compose_digest, from_header
from digest.render import RenderedDigest
from tests.digest.factories import DIGEST_AT
from tests.digest.helpers import parse, sample_message


def test_mail_is_text_with_html_alternative_and_the_xlsx_attached() -> None:
    msg = parse(bytes(sample_message()))
    assert msg.get_content_type() == "multipart/mixed"
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "新收情况表（2 份）" in text.get_content()
    assert "<!DOCTYPE html>" in html.get_content()
    attachments = list(msg.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["汇总表-2020-05-14.xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(attachments[0].get_content()))
    assert book["汇总表"].max_row == 3


def test_headers_carry_subject_marker_message_id_and_chinese_sender_name() -> None:
    msg = parse(sample_message().as_bytes())
    assert msg["Subject"] == "【主题党日活动情况表】2020-05-14 日报：新收2份，更正1份，待处理2项"
    assert msg[DIGEST_HEADER] == "1"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"].endswith("@163.com>")
    assert msg["From"].addresses[0].display_name == "组织指导处"
    assert [a.addr_spec for a in msg["To"].addresses] == ["zzzdc@example.gov.cn", "leader@example.gov.cn"]
    assert msg["Date"].datetime == DIGEST_AT


def test_every_line_of_the_mail_is_ascii_and_folded_to_78_characters() -> None:
    raw = sample_message().as_bytes()
    xlsx_type = b"Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # 79, unfoldable
    for line in raw.split(b"\r\n"):
        assert len(line) <= 78 or line == xlsx_type, line
        line.decode("ascii")
    assert b"filename*=utf-8''" in raw and b"filename*0" not in raw  # one-line RFC 2231 name


def test_sender_without_display_name_gets_one() -> None:
    msg = parse(compose_digest(RenderedDigest("s", "<p>h</p>", "t"), sender="a@b.cn", recipients=["c@d.cn"],
                               xlsx=b"x", xlsx_name="a.xlsx", now=DIGEST_AT).as_bytes())
    assert msg["From"].addresses[0].display_name == "主题党日情况表日报"


def test_bad_recipient_setting_is_refused_with_the_setting_named() -> None:
    with pytest.raises(ComposeError, match="INTAKE_DIGEST_TO"):
        compose_digest(RenderedDigest("s", "h", "t"), sender="a@b.cn", recipients=["not an address"],
                       xlsx=b"x", xlsx_name="a.xlsx", now=DIGEST_AT)
    with pytest.raises(ComposeError, match="INTAKE_DIGEST_FROM"):
        from_header("组织指导处")
