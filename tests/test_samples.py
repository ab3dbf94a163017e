"""The bundled sample mailbox (samples/mail): regenerates byte for byte and every mail holds what README says."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import subprocess
import sys
import zipfile
from datetime import datetime
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from pathlib import Path

import docx
import openpyxl
import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
MAIL = SAMPLES / "mail"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# file -> the attachments a MIME walk finds (decoded name, content type), in order, forwarded mails included
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "01-163-gbk-docx.eml": [("财政局离退休干部党支部主题党日情况表.docx", DOCX)],
    "02-qq-rfc2231-docx.eml": [("姑苏区老干部局机关离退休党支部主题党日活动情况表.docx", "application/octet-stream")],
    "03-foxmail-xlsx.eml": [("教育局第二党支部情况表.xlsx", XLSX)],
    "04-iphone-docx-photos.eml": [
        ("水利局离退休党支部情况表.docx", DOCX),
        ("IMG_0412.JPG", "image/jpeg"),
        ("IMG_0415.JPG", "image/jpeg"),
    ],
    "05-163-correction.eml": [("财政局离退休干部党支部主题党日情况表（更正）.docx", DOCX)],
    "06-qq-exact-resend.eml": [("姑苏区老干部局机关离退休党支部主题党日活动情况表.docx", "application/octet-stream")],
    "07-truncated-docx.eml": [("民政局离退休干部党支部情况表.docx", DOCX)],
    "08-no-attachment.eml": [],
    "09-forwarded-rfc822.eml": [
        ("松陵街道离退休干部党支部“助力火红年代”主题党日活动情况表.docx", "application/octet-stream")
    ],
    "10-auto-reply.eml": [],
    "11-newsletter.eml": [],
    "12-gbk-zip.eml": [("狮山街道老干部党支部情况表.zip", "application/x-zip-compressed")],
}


def load(name: str) -> EmailMessage:
    message = email.message_from_bytes((MAIL / name).read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def attachments(message: Message) -> list[tuple[str, str, bytes]]:
    """Every named leaf part, walking into forwarded message/rfc822 parts: (name, content type, decoded bytes)."""
    found = []
    for part in message.walk():
        name = part.get_filename()
        if name is None or part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found.append((name, part.get_content_type(), payload))
    return found


def only_attachment(name: str) -> bytes:
    (found,) = attachments(load(name))
    return found[2]


def form_cells(data: bytes) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in docx.Document(io.BytesIO(data)).tables[0].rows]


def test_make_samples_regenerates_the_committed_mail_and_roster_byte_for_byte(tmp_path: Path) -> None:
    roster = tmp_path.parent / f"{tmp_path.name}-roster.xlsx"
    run = subprocess.run(
        [sys.executable, str(SAMPLES / "make_samples.py"), "--out", str(tmp_path), "--roster", str(roster)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert roster.read_bytes() == (SAMPLES / "roster.xlsx").read_bytes(), "rerun of make_samples.py: roster differs"
    fresh = sorted(p.name for p in tmp_path.iterdir())
    assert fresh == sorted(p.name for p in MAIL.glob("*.eml")) == sorted(EXPECTED)
    changed = [name for name in fresh if (tmp_path / name).read_bytes() != (MAIL / name).read_bytes()]
    assert changed == [], f"rerun of make_samples.py differs from the committed files: {changed}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_parses_cleanly_and_carries_the_expected_attachments(name: str) -> None:
    raw = (MAIL / name).read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), "samples are CRLF wire format"
    message = load(name)
    assert [(part.get_content_type(), part.defects) for part in message.walk() if part.defects] == []
    assert message["Message-ID"] and message["From"] and message["Subject"]
    assert [(n, t) for n, t, _ in attachments(message)] == EXPECTED[name]
    assert all(data for _, _, data in attachments(message))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_is_dated_inside_the_2020_campaign_and_addressed_to_the_mailbox(name: str) -> None:
    message = load(name)
    sent = message["Date"].datetime
    assert isinstance(sent, datetime)
    assert datetime(2020, 4, 13).date() <= sent.date() <= datetime(2020, 11, 30).date()
    assert "szlgbjdjc@163.com" in str(message["To"])


def test_message_ids_are_unique_across_the_samples() -> None:
    ids = [str(load(name)["Message-ID"]) for name in EXPECTED]
    assert len(set(ids)) == len(ids)


def test_encoded_word_filename_in_quotes_decodes_with_compat32_and_decode_header() -> None:
    legacy = email.message_from_bytes((MAIL / "01-163-gbk-docx.eml").read_bytes())
    raw_names = [name for part in legacy.walk() if (name := part.get_filename())]
    assert raw_names == ["=?GBK?B?ssbV/r7WwOvNy9DduMmyv7Wz1qeyv9b3zOK1s8jVx+m/9rHtLmRvY3g=?="]
    assert str(make_header(decode_header(raw_names[0]))) == "财政局离退休干部党支部主题党日情况表.docx"
    assert str(load("01-163-gbk-docx.eml")["From"]) == "钱卫东 <qianweidong1956@163.com>"


def test_qq_filename_uses_rfc2231_and_the_forwarded_one_uses_continuations() -> None:
    assert b"filename*=utf-8''%E5%A7%91" in (MAIL / "02-qq-rfc2231-docx.eml").read_bytes()
    assert b"filename*1*=" in (MAIL / "09-forwarded-rfc822.eml").read_bytes()
    assert load("02-qq-rfc2231-docx.eml").get_body(("plain",)).get_content().strip() == "见附件"  # type: ignore[union-attr]


def test_word_forms_hold_each_branch_name_and_headcount() -> None:
    expected = {
        "01-163-gbk-docx.eml": ("苏州市财政局离退休干部党支部", "23"),
        "02-qq-rfc2231-docx.eml": ("姑苏区老干部局机关离退休党支部", "31人"),
        "04-iphone-docx-photos.eml": ("苏州市水利局离退休干部党支部", "19"),
        "05-163-correction.eml": ("苏州市财政局离退休干部党支部", "25"),
        "09-forwarded-rfc822.eml": ("吴江区松陵街道离退休干部党支部", "42"),
    }
    for name, (org, headcount) in expected.items():
        form = next(data for n, _, data in attachments(load(name)) if n.endswith(".docx"))
        cells = form_cells(form)
        assert (cells[0][0], cells[0][1], cells[0][3]) == ("党组织名称", org, headcount), name
        assert cells[6][0] == "联系人" and cells[6][1] and cells[6][3], name


def test_correction_changes_only_the_headcount_of_the_first_submission() -> None:
    first = form_cells(only_attachment("01-163-gbk-docx.eml"))
    fixed = form_cells(only_attachment("05-163-correction.eml"))
    differing = [(r, c) for r, row in enumerate(first) for c, text in enumerate(row) if fixed[r][c] != text]
    assert differing == [(0, 3)]
    assert (first[0][3], fixed[0][3]) == ("23", "25")
    assert load("05-163-correction.eml")["Subject"].startswith("更正：")


def test_exact_resend_repeats_the_attachment_bytes_under_a_new_message_id() -> None:
    original, resend = load("02-qq-rfc2231-docx.eml"), load("06-qq-exact-resend.eml")
    assert original["Message-ID"] != resend["Message-ID"]
    assert original["Subject"] == resend["Subject"]
    first, again = only_attachment("02-qq-rfc2231-docx.eml"), only_attachment("06-qq-exact-resend.eml")
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(again).hexdigest()


def test_excel_form_has_labels_in_a_and_c_and_agenda_merged_down_column_a() -> None:
    book = openpyxl.load_workbook(io.BytesIO(only_attachment("03-foxmail-xlsx.eml")))
    sheet = book.active
    assert sheet is not None
    assert (sheet["A2"].value, sheet["B2"].value, sheet["C2"].value, sheet["D2"].value) == (
        "党组织名称",
        "苏州市教育局离退休干部第二党支部",
        "人  数",
        27,
    )
    assert "A3:A6" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A3"].value == "议  程" and sheet["B3"].value
    assert (sheet["A8"].value, sheet["C8"].value) == ("联系人", "联系方式")


def jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the JPEG markers up to SOF0 and return (width, height); fails on anything that is not a JFIF JPEG."""
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9" and data[6:10] == b"JFIF"
    offset = 2
    while True:
        assert data[offset] == 0xFF
        marker, length = data[offset + 1], int.from_bytes(data[offset + 2 : offset + 4], "big")
        if marker == 0xC0:
            body = data[offset + 4 : offset + 2 + length]
            return int.from_bytes(body[3:5], "big"), int.from_bytes(body[1:3], "big")
        offset += 2 + length


def test_photos_beside_the_form_are_baseline_jpegs() -> None:
    photos = [data for name, kind, data in attachments(load("04-iphone-docx-photos.eml")) if kind == "image/jpeg"]
    assert [jpeg_size(photo) for photo in photos] == [(128, 96), (128, 96)]
    assert photos[0] != photos[1]


def test_truncated_attachment_is_the_first_2000_bytes_of_a_docx_and_no_valid_zip() -> None:
    data = only_attachment("07-truncated-docx.eml")
    assert len(data) == 2000 and data.startswith(b"PK\x03\x04")
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(data))


def test_mails_without_a_form_are_the_notice_the_auto_reply_and_the_newsletter() -> None:
    assert "稍后补发" in load("08-no-attachment.eml")["Subject"]
    auto = load("10-auto-reply.eml")
    assert auto["Auto-Submitted"] == "auto-replied" and auto["Subject"].startswith("自动回复")
    news = load("11-newsletter.eml")
    assert news["List-Unsubscribe"] and news["Precedence"] == "bulk"
    assert "火红年代" not in news.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_forwarded_sample_wraps_the_branch_mail_as_message_rfc822() -> None:
    outer = load("09-forwarded-rfc822.eml")
    (inner_part,) = [p for p in outer.walk() if p.get_content_type() == "message/rfc822"]
    inner = inner_part.get_payload(0)
    assert isinstance(inner, Message)
    assert "松陵街道" in str(inner["Subject"]) and "2287361045@qq.com" in str(inner["From"])
    assert "老干部局" in str(outer["From"]) and str(outer["Subject"]).startswith("转发")


def test_zip_member_names_are_gbk_without_the_utf8_flag_and_hold_the_form() -> None:
    archive = zipfile.ZipFile(io.BytesIO(only_attachment("12-gbk-zip.eml")))
    infos = archive.infolist()
    assert all(info.flag_bits & 0x800 == 0 for info in infos)
    names = [info.filename.encode("cp437").decode("gbk") for info in infos]
    assert names == ["狮山街道老干部党支部“助力火红年代”情况表.docx", "活动照片.jpg"]
    cells = form_cells(archive.read(infos[0]))
    assert (cells[0][1], cells[0][3]) == ("高新区狮山街道老干部党支部", "35")
    assert jpeg_size(archive.read(infos[1])) == (128, 96)


def test_the_sample_roster_reads_as_nine_branches_in_six_groups_without_a_bad_row() -> None:
    from roster.importfile import read_roster

    read = read_roster(SAMPLES / "roster.xlsx")
    assert read.problems == () and len(read.entries) == 9
    assert [number for number, _ in read.entries] == list(range(3, 12))  # below a title row and the header
    assert {entry.group for _, entry in read.entries} == {"市级机关", "姑苏区", "吴江区", "吴中区", "高新区", "相城区"}
    shuili = next(entry for _, entry in read.entries if "水利局" in entry.name)
    assert (shuili.contact_phone, shuili.emails) == ("13862097315", ("13862097315@139.com",))  # a number cell
