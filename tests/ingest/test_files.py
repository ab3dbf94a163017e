"""intake import's reader: .eml files, folders, Maildirs and mbox files become RawMessages in a stable order."""

from __future__ import annotations

import mailbox
import shutil
from pathlib import Path

import pytest

from ingest.files import iter_paths
from tests.builders import branch_mail


def _mail(n: int) -> bytes:
    return branch_mail(subject=f"情况表 {n}", message_id=f"<m{n}@163.com>")


def test_single_eml_file_is_uid_1_in_its_own_folder(tmp_path: Path) -> None:
    path = tmp_path / "一.eml"
    path.write_bytes(_mail(1))
    [msg] = iter_paths([path])
    assert (msg.folder, msg.uidvalidity, msg.uid, msg.raw) == (str(path.resolve()), 0, 1, _mail(1))
    assert msg.internal_date is None  # a loose file's mtime is not when it arrived: the Date header is used


def test_folder_of_eml_files_is_read_sorted_by_name_with_uids_counting_up(tmp_path: Path) -> None:
    for n in (3, 1, 2):
        (tmp_path / f"{n:02d}.eml").write_bytes(_mail(n))
    (tmp_path / "readme.txt").write_text("not mail")
    got = list(iter_paths([tmp_path]))
    assert [(m.uid, m.raw) for m in got] == [(1, _mail(1)), (2, _mail(2)), (3, _mail(3))]
    assert {m.folder for m in got} == {str(tmp_path.resolve())}


def test_maildir_messages_from_new_and_cur_are_read(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "md", create=True)
    box.add(_mail(1))
    box.add(_mail(2))
    box.close()
    got = list(iter_paths([tmp_path / "md"]))
    assert sorted(m.raw for m in got) == sorted([_mail(1), _mail(2)])
    assert [m.uid for m in got] == [1, 2]


def test_mbox_messages_are_read_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "export.mbox"
    box = mailbox.mbox(path)
    for n in (1, 2, 3):
        box.add(_mail(n))
    box.close()
    got = list(iter_paths([path]))
    assert [m.uid for m in got] == [1, 2, 3]
    assert all(b"Message-ID: <m%d@163.com>" % n in m.raw for n, m in zip((1, 2, 3), got, strict=True))
    assert {m.folder for m in got} == {str(path.resolve())}


def test_paths_are_read_in_the_order_given_and_missing_ones_skipped(tmp_path: Path) -> None:
    a, b = tmp_path / "a.eml", tmp_path / "b.eml"
    a.write_bytes(_mail(1))
    b.write_bytes(_mail(2))
    got = list(iter_paths([b, tmp_path / "missing.eml", a]))
    assert [m.raw for m in got] == [_mail(2), _mail(1)]


def test_outlook_msg_files_are_skipped_with_a_warning(
    tmp_path: Path, corpus_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copy(corpus_dir / "mail" / "tika_testMSG_chinese.msg", tmp_path / "x.msg")
    (tmp_path / "y.eml").write_bytes(_mail(1))
    with caplog.at_level("WARNING"):
        got = list(iter_paths([tmp_path]))
    assert [m.raw for m in got] == [_mail(1)]
    assert "Outlook .msg" in caplog.text


def test_an_attachment_file_given_to_import_is_skipped_with_a_hint_to_use_parse(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.builders import form_docx

    form = tmp_path / "情况表.docx"
    form.write_bytes(form_docx())
    pdf = tmp_path / "通知.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    legacy = tmp_path / "情况表.doc"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    mail = tmp_path / "m.eml"
    mail.write_bytes(_mail(1))
    with caplog.at_level("WARNING", logger="ingest.files"):
        found = list(iter_paths([form, pdf, legacy, mail]))
    assert [m.raw for m in found] == [_mail(1)]
    text = caplog.text
    assert "情况表.docx is not a mail" in text and "intake parse" in text
    assert "通知.pdf is not a mail" in text
    assert "情况表.doc is not a mail" in text and "Outlook .msg" not in text
