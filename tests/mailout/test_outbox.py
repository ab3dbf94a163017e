"""Writing a mail to a folder instead of sending it: an .eml that parses back, the .html page, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailout.outbox import outbox_paths, write_message
from tests.mailout.helpers import parse, reply


def test_outbox_holds_the_whole_mail_as_eml_and_its_html_page(tmp_path: Path) -> None:
    message = reply()
    eml, page = write_message(message, tmp_path / "outbox", "receipt-42")
    assert eml.name == "receipt-42.eml" and page.name == "receipt-42.html"
    again = parse(eml.read_bytes())
    assert again["Message-ID"] == message["Message-ID"]
    assert [a.get_filename() for a in again.iter_attachments()] == ["情况表（空白）.docx"]
    assert page.read_text("utf-8") == "<p>您好，情况表已收到。</p>\n"
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == ["receipt-42.eml", "receipt-42.html"]


def test_a_text_only_mail_gets_no_page_and_replaces_an_older_one_of_the_same_name(tmp_path: Path) -> None:
    write_message(reply(), tmp_path, "same")
    (eml,) = write_message(reply(html=None), tmp_path, "same")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.eml"]
    assert parse(eml.read_bytes()).get_body(preferencelist=("html",)) is None


@pytest.mark.parametrize("stem", ["../escape", "a/b", ".hidden", "", "x" * 200, "digest\n2020"])
def test_a_file_name_that_could_leave_the_folder_or_hide_is_refused(tmp_path: Path, stem: str) -> None:
    with pytest.raises(ValueError, match="outbox file name"):
        outbox_paths(tmp_path, stem)
