"""Writing the digest to a folder instead of sending: an .eml that parses back and an .html to open."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from mailout.outbox import write_outbox
from tests.digest.helpers import parse, sample_message


def test_outbox_holds_the_whole_mail_as_eml_and_the_html_page(tmp_path: Path) -> None:
    message = sample_message()
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    eml, page = write_outbox(message, html.get_content(), tmp_path / "outbox", date(2020, 5, 14))
    assert eml.name == "digest-2020-05-14.eml" and page.name == "digest-2020-05-14.html"
    again = parse(eml.read_bytes())
    assert again["Message-ID"] == message["Message-ID"]
    assert [a.get_filename() for a in again.iter_attachments()] == ["汇总表-2020-05-14.xlsx"]
    assert "新收情况表（2 份）" in page.read_text("utf-8")
    assert not list((tmp_path / "outbox").glob("*.part"))
