"""intake import's reader: .eml files, folders, Maildirs and mbox files become RawMessages in a stable order."""

from __future__ import annotations

import hashlib
import mailbox
import os
import shutil
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.files import IMPORT_FOLDER, content_uid, iter_paths
from ingest.poll import import_paths
from store.session import SessionFactory
from tests.builders import branch_mail


def _mail(n: int) -> bytes:
    return branch_mail(subject=f"情况表 {n}", message_id=f"<m{n}@163.com>")


def test_single_eml_file_gets_a_uid_from_its_bytes_in_the_import_folder(tmp_path: Path) -> None:
    path = tmp_path / "一.eml"
    path.write_bytes(_mail(1))
    [msg] = iter_paths([path])
    assert (msg.folder, msg.uidvalidity, msg.uid, msg.raw) == (IMPORT_FOLDER, 0, content_uid(_mail(1)), _mail(1))
    assert msg.source == str(path.resolve())
    assert msg.internal_date is None  # a loose file's mtime is not when it arrived: the Date header is used


def test_content_uid_is_the_first_60_bits_of_the_sha256_and_fits_a_signed_bigint() -> None:
    data = _mail(1)
    assert content_uid(data) == int(hashlib.sha256(data).hexdigest()[:15], 16)
    assert 0 < content_uid(data) < 2**63
    assert content_uid(data) == content_uid(bytes(data))


def test_distinct_bytes_give_distinct_uids_over_many_samples() -> None:
    base = _mail(1)
    samples = [base + str(n).encode() for n in range(200_000)]
    samples += [base[:-1] + bytes([b]) for b in range(256)]  # one byte apart
    uids = {content_uid(data) for data in samples}
    assert len(uids) == len(set(samples))
    assert all(0 < uid < 2**63 for uid in uids)


def test_the_same_bytes_at_two_paths_get_the_same_identity(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.eml").write_bytes(_mail(1))
    (tmp_path / "b" / "copy of x.eml").write_bytes(_mail(1))
    first, second = iter_paths([tmp_path / "a", tmp_path / "b"])
    assert (first.folder, first.uidvalidity, first.uid) == (second.folder, second.uidvalidity, second.uid)
    assert first.source != second.source


def test_folder_of_eml_files_is_read_sorted_by_name(tmp_path: Path) -> None:
    for n in (3, 1, 2):
        (tmp_path / f"{n:02d}.eml").write_bytes(_mail(n))
    (tmp_path / "readme.txt").write_text("not mail")
    got = list(iter_paths([tmp_path]))
    assert [(m.uid, m.raw) for m in got] == [(content_uid(_mail(n)), _mail(n)) for n in (1, 2, 3)]
    assert {m.folder for m in got} == {IMPORT_FOLDER}
    assert [m.source for m in got] == [str((tmp_path / f"{n:02d}.eml").resolve()) for n in (1, 2, 3)]


def test_maildir_messages_from_new_and_cur_are_read(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "md", create=True)
    box.add(_mail(1))
    box.add(_mail(2))
    box.close()
    got = list(iter_paths([tmp_path / "md"]))
    assert sorted(m.raw for m in got) == sorted([_mail(1), _mail(2)])
    assert sorted(m.uid for m in got) == sorted(content_uid(_mail(n)) for n in (1, 2))
    assert all(m.internal_date is not None for m in got)  # a Maildir file's mtime is its delivery time


def test_a_maildir_file_with_an_impossible_mtime_has_no_internal_date(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "md", create=True)
    key = box.add(_mail(1))
    box.close()
    path = next((tmp_path / "md").glob(f"*/{key}*"))
    os.utime(path, (0, 0))  # 1970: a copy that lost its times
    [msg] = iter_paths([tmp_path / "md"])
    assert msg.internal_date is None


def test_mbox_messages_are_read_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "export.mbox"
    box = mailbox.mbox(path)
    for n in (1, 2, 3):
        box.add(_mail(n))
    box.close()
    got = list(iter_paths([path]))
    assert all(b"Message-ID: <m%d@163.com>" % n in m.raw for n, m in zip((1, 2, 3), got, strict=True))
    assert [m.uid for m in got] == [content_uid(m.raw) for m in got]
    assert len({m.uid for m in got}) == 3
    assert {m.folder for m in got} == {IMPORT_FOLDER}
    assert [m.source for m in got] == [f"{path.resolve()} #{n}" for n in (1, 2, 3)]


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


def _import(factory: SessionFactory, *paths: Path) -> tuple[int, int, int]:
    """Run `intake import` on the paths: (messages read, skipped as already imported, duplicates of others)."""
    counts = import_paths(Settings(), factory, list(paths)).counts
    return counts.messages, counts.skipped, counts.duplicates


def test_a_new_file_that_sorts_first_is_imported_on_the_second_run(
    tmp_path: Path, session_factory: SessionFactory
) -> None:
    (tmp_path / "b.eml").write_bytes(_mail(2))
    (tmp_path / "c.eml").write_bytes(_mail(3))
    assert _import(session_factory, tmp_path) == (2, 0, 0)
    (tmp_path / "a.eml").write_bytes(_mail(1))
    assert _import(session_factory, tmp_path) == (3, 2, 0)  # a.eml is new; b and c were done


def test_a_path_reused_for_a_different_mail_is_imported(tmp_path: Path, session_factory: SessionFactory) -> None:
    path = tmp_path / "情况表.eml"
    path.write_bytes(_mail(1))
    assert _import(session_factory, path) == (1, 0, 0)
    path.write_bytes(_mail(2))
    assert _import(session_factory, path) == (1, 0, 0)


def test_the_same_file_imported_again_is_skipped_even_from_another_path(
    tmp_path: Path, session_factory: SessionFactory
) -> None:
    path = tmp_path / "x.eml"
    path.write_bytes(_mail(1))
    assert _import(session_factory, path) == (1, 0, 0)
    assert _import(session_factory, path) == (1, 1, 0)
    copy = tmp_path / "copy" / "x (1).eml"
    copy.parent.mkdir()
    copy.write_bytes(_mail(1))
    assert _import(session_factory, copy) == (1, 1, 0)


def test_two_different_files_are_two_messages(tmp_path: Path, session_factory: SessionFactory) -> None:
    from store import messages

    (tmp_path / "1.eml").write_bytes(_mail(1))
    (tmp_path / "2.eml").write_bytes(_mail(1).replace(b"\n", b"\r\n", 1))  # one byte apart
    assert _import(session_factory, tmp_path)[:2] == (2, 0)  # neither skipped (dedup by content is the store's)
    with session_factory() as session:
        for data in ((tmp_path / "1.eml").read_bytes(), (tmp_path / "2.eml").read_bytes()):
            assert messages.already_done(session, "local", IMPORT_FOLDER, 0, content_uid(data))
