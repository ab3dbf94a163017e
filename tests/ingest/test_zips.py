"""Zip unpacking: GBK member names, nested archives, junk skipped, and bombs, corrupt and encrypted zips refused."""

from __future__ import annotations

import zipfile

from ingest import zips
from tests.builders import form_docx
from tests.ingest.mailbuild import gbk_name_zip, set_encrypted_flag, zip_bytes


def test_gbk_member_names_with_the_utf8_flag_clear_decode_to_chinese() -> None:
    data = gbk_name_zip([("主题党日情况表.docx", b"form"), ("活动照片/合影.jpg", b"photo")])
    result = zips.unpack(data, "材料.zip")
    assert result.problem is None
    assert [(m.name, m.data) for m in result.members] == [
        ("主题党日情况表.docx", b"form"), ("活动照片/合影.jpg", b"photo"),
    ]


def test_utf8_flagged_names_are_kept_as_written() -> None:
    data = zip_bytes([("情况表（更正）.xlsx", b"x")])
    assert [m.name for m in zips.unpack(data).members] == ["情况表（更正）.xlsx"]


def test_nested_zip_is_opened_and_mac_junk_is_skipped() -> None:
    inner = zip_bytes([("情况表.docx", b"inner form")])
    outer = zip_bytes([("__MACOSX/._情况表.docx", b"junk"), (".DS_Store", b"junk"), ("支部/", b""),
                       ("支部/材料.zip", inner)])
    result = zips.unpack(outer, "outer.zip")
    assert [(m.name, m.data) for m in result.members] == [("支部/材料.zip / 情况表.docx", b"inner form")]


def test_an_office_file_is_not_taken_for_a_zip() -> None:
    docx = form_docx()
    assert docx.startswith(b"PK")
    assert not zips.is_zip(docx, "情况表.docx")
    assert not zips.is_zip(docx, "unnamed")  # recognised by [Content_Types].xml, whatever the name
    assert zips.is_zip(zip_bytes([("a.txt", b"a")]), "a.zip")


def test_highly_compressed_member_is_refused_as_too_large_without_unpacking() -> None:
    bomb = zip_bytes([("情况表.docx", b"\0" * (5 * 1024 * 1024))])
    assert len(bomb) < 50_000
    result = zips.unpack(bomb, "bomb.zip")
    assert result.problem == "too_large"
    assert result.members == ()


def test_too_many_members_is_too_large() -> None:
    many = zip_bytes([(f"f{i}.txt", b"x") for i in range(zips.MAX_MEMBERS + 1)], zipfile.ZIP_STORED)
    assert zips.unpack(many).problem == "too_large"


def test_member_whose_real_size_exceeds_its_declared_size_is_stopped() -> None:
    honest = zip_bytes([("a.bin", b"A" * 300_000)], zipfile.ZIP_STORED)
    # Lie in both headers: declare 1000 bytes. Reading must stop at the declared size, never trust the data.
    lying = honest.replace((300_000).to_bytes(4, "little"), (1000).to_bytes(4, "little"))
    result = zips.unpack(lying, "liar.zip")
    assert result.problem in {"too_large", "corrupt"}
    assert result.members == ()


def test_truncated_zip_is_corrupt() -> None:
    data = zip_bytes([("情况表.docx", form_docx())])
    result = zips.unpack(data[: len(data) // 2], "broken.zip")
    assert result.problem == "corrupt"


def test_password_protected_zip_is_encrypted() -> None:
    data = set_encrypted_flag(zip_bytes([("情况表.docx", b"secret")]))
    assert zips.unpack(data, "locked.zip").problem == "encrypted"
