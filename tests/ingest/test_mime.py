"""mime.extract on real mails: names in every encoding, forwarded mails, zips, HTML bodies, cloud links, junk."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from ingest import mime
from ingest.model import MailContent
from tests.builders import DOCX, branch_mail, form_docx, png_photo
from tests.ingest.mailbuild import (
    file_part,
    forwarded_as_attachment,
    gbk_name_zip,
    nested_multiparts,
    raw_mail,
    raw_part,
    set_encrypted_flag,
    tiny_text_parts,
    zip_bytes,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _no_surrogates(content: MailContent) -> None:
    texts = [content.message_id, content.sender_address, content.sender_name, content.subject, content.body_text,
             *content.cloud_links, *content.headers.values(), *content.forwarded_subjects]
    for att in content.attachments:
        texts += [att.filename, att.origin, att.content_type]
    for text in texts:
        assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text), text
        assert "\x00" not in text


def test_branch_mail_gives_sender_subject_date_body_and_the_docx_with_its_hash() -> None:
    form = form_docx()
    raw = branch_mail(attachments=[("“助力火红年代”情况表.docx", form, DOCX)], message_id="<abc@163.com>")
    content = mime.extract(raw)
    assert content.message_id == "<abc@163.com>"
    assert content.sender_address == "czj_lgb@163.com"
    assert content.sender_name == "财政局老干部处"
    assert content.subject == "“助力火红年代”主题党日活动情况表"
    assert content.sent_at == datetime(2020, 5, 13, 9, 30, tzinfo=UTC) + timedelta(hours=-8)
    assert content.sent_at is not None and content.sent_at.tzinfo is not None
    assert "请查收" in content.body_text
    [att] = content.attachments
    assert att.filename == "“助力火红年代”情况表.docx"
    assert att.data == form and att.sha256 == hashlib.sha256(form).hexdigest()
    assert att.content_type == DOCX and att.origin == "part 2"
    assert content.problems == () and content.cloud_links == () and not content.is_report
    _no_surrogates(content)


def test_name_only_in_content_type_and_no_disposition_is_an_attachment() -> None:
    b64 = base64.encodebytes(b"form bytes").decode()
    part = raw_part([("Content-Type", 'application/octet-stream; name="=?GBK?B?x+m/9rHtLmRvY3g=?="'),
                     ("Content-Transfer-Encoding", "base64")], b64)
    raw = raw_mail([("From", "a@b.cn"), ("Subject", "x")], b"", "BND",
                   [raw_part([("Content-Type", "text/plain; charset=utf-8")], "正文"), part])
    [att] = mime.extract(raw).attachments
    assert att.filename == "情况表.docx"
    assert att.data == b"form bytes"


def test_inline_disposition_with_a_filename_is_still_an_attachment() -> None:
    msg = EmailMessage()
    msg["From"] = "a@b.cn"
    msg["Subject"] = "情况表"
    msg.set_content("见附件")
    msg.add_attachment(b"xlsx", maintype="application", subtype="vnd.ms-excel", filename="情况表.xls",
                       disposition="inline")
    assert [a.filename for a in mime.extract(bytes(msg)).attachments] == ["情况表.xls"]


def test_nameless_non_text_part_is_an_attachment_with_a_made_up_name() -> None:
    part = raw_part([("Content-Type", "application/msword"), ("Content-Transfer-Encoding", "base64")],
                    base64.encodebytes(b"doc bytes").decode())
    raw = raw_mail([("From", "a@b.cn")], b"", "B1", [raw_part([("Content-Type", "text/plain")], "hi"), part])
    [att] = mime.extract(raw).attachments
    assert att.data == b"doc bytes"
    assert att.filename.startswith("附件") and att.filename.endswith(".doc")


def test_raw_8bit_gbk_subject_sender_and_filename_decode_to_chinese() -> None:
    raw = raw_mail(
        [("From", "苏州市档案局离退休党支部 <dag@126.com>".encode("gbk")),
         ("Subject", "主题党日活动情况表".encode("gbk")),
         ("Date", "Wed, 13 May 2020 09:30:00 +0800")],
        b"", "GB",
        [raw_part([("Content-Type", "text/plain; charset=gb2312")], "附件为情况表".encode("gbk")),
         raw_part([("Content-Type", 'application/octet-stream; name="情况表.docx"'.encode("gbk")),
                   ("Content-Disposition", 'attachment; filename="情况表.docx"'.encode("gbk")),
                   ("Content-Transfer-Encoding", "base64")], base64.encodebytes(b"docx").decode())],
    )
    content = mime.extract(raw)
    assert content.sender_name == "苏州市档案局离退休党支部"
    assert content.sender_address == "dag@126.com"
    assert content.subject == "主题党日活动情况表"
    assert content.body_text == "附件为情况表"
    assert [a.filename for a in content.attachments] == ["情况表.docx"]
    _no_surrogates(content)


def test_rfc2231_continued_filename_from_a_real_client_layout() -> None:
    name = "苏州市民政局离退休干部第二党支部主题党日情况表.docx".encode()
    pct = "".join(f"%{b:02X}" for b in name)
    chunks = [pct[i:i + 60] for i in range(0, len(pct), 60)]
    disp = "attachment;\r\n " + ";\r\n ".join(
        f"filename*{i}*=UTF-8''{c}" if i == 0 else f"filename*{i}*={c}" for i, c in enumerate(chunks)
    )
    part = raw_part([("Content-Type", f"{DOCX}"), ("Content-Disposition", disp),
                     ("Content-Transfer-Encoding", "base64")], base64.encodebytes(b"d").decode())
    raw = raw_mail([("From", "a@b.cn")], b"", "C1", [part])
    assert [a.filename for a in mime.extract(raw).attachments] == [name.decode()]


def test_split_encoded_word_subject_is_joined() -> None:
    data = "“助力火红年代”主题党日".encode()
    subject = (f"=?UTF-8?B?{base64.b64encode(data[:10]).decode()}?=\r\n"
               f" =?UTF-8?B?{base64.b64encode(data[10:]).decode()}?=")
    content = mime.extract(raw_mail([("From", "a@b.cn"), ("Subject", subject)], "x"))
    assert content.subject == "“助力火红年代”主题党日"


def test_base64_encoded_forwarded_message_is_opened() -> None:
    inner = branch_mail(subject="转发：主题党日情况表", attachments=[("情况表.docx", b"inner form", DOCX)])
    part = raw_part([("Content-Type", "message/rfc822"), ("Content-Transfer-Encoding", "base64")],
                    base64.encodebytes(inner).decode())
    raw = raw_mail([("From", "office@szlg.cn"), ("Subject", "Fw: 情况表")], b"", "F1",
                   [raw_part([("Content-Type", "text/plain; charset=utf-8")], "请看转发"), part])
    content = mime.extract(raw)
    [att] = content.attachments
    assert att.filename == "情况表.docx" and att.data == b"inner form"
    assert att.origin.startswith("fwd 1 / ")
    assert content.forwarded_subjects == ("转发：主题党日情况表",)
    assert "请看转发" in content.body_text and "请查收" in content.body_text


def test_plain_message_rfc822_and_eml_attachment_are_both_walked() -> None:
    first = branch_mail(attachments=[("一.docx", b"one", DOCX)])
    second = branch_mail(attachments=[("二.xlsx", b"two", XLSX)])
    outer = MIMEMultipart()
    outer["From"] = "a@b.cn"
    outer["Subject"] = "两封转发"
    outer.attach(MIMEText("见下", "plain", "utf-8"))
    from email import message_from_bytes

    outer.attach(MIMEMessage(message_from_bytes(first)))
    eml = MIMEApplication(second, "octet-stream")
    eml.add_header("Content-Disposition", "attachment", filename="原邮件.eml")
    outer.attach(eml)
    content = mime.extract(outer.as_bytes())
    assert sorted((a.filename, a.data) for a in content.attachments) == [("一.docx", b"one"), ("二.xlsx", b"two")]
    assert len({a.origin for a in content.attachments}) == 2


def test_zip_with_gbk_names_is_unpacked_and_the_zip_itself_not_passed_on() -> None:
    archive = gbk_name_zip([("情况表.docx", b"form"), ("照片.jpg", b"jpeg")])
    raw = branch_mail(attachments=[("材料.zip", archive, "application/zip")])
    content = mime.extract(raw)
    assert [(a.filename, a.origin, a.data) for a in content.attachments] == [
        ("情况表.docx", "zip 材料.zip / 情况表.docx", b"form"),
        ("照片.jpg", "zip 材料.zip / 照片.jpg", b"jpeg"),
    ]
    assert content.attachments[0].content_type == DOCX
    assert content.problems == ()


def test_zip_bomb_is_passed_on_as_is_with_a_too_large_problem() -> None:
    bomb = zip_bytes([("情况表.docx", b"\0" * (8 * 1024 * 1024))])
    content = mime.extract(branch_mail(attachments=[("bomb.zip", bomb, "application/zip")]))
    [att] = content.attachments
    assert att.filename == "bomb.zip" and att.data == bomb
    assert [(p.origin, p.kind) for p in content.problems] == [(att.origin, "too_large")]


def test_corrupt_and_encrypted_zips_are_flagged() -> None:
    good = zip_bytes([("情况表.docx", b"x" * 1000)])
    content = mime.extract(branch_mail(attachments=[
        ("坏.zip", good[:60], "application/zip"),
        ("密.zip", set_encrypted_flag(good), "application/zip"),
    ]))
    kinds = {p.origin: p.kind for p in content.problems}
    assert [kinds[a.origin] for a in content.attachments] == ["corrupt", "encrypted"]


def test_photos_beside_the_form_are_kept() -> None:
    raw = branch_mail(attachments=[("情况表.docx", b"f", DOCX), ("合影.png", png_photo(), "image/png")])
    assert [a.filename for a in mime.extract(raw).attachments] == ["情况表.docx", "合影.png"]


def test_html_only_body_becomes_text_without_markup() -> None:
    msg = EmailMessage()
    msg["From"] = "a@b.cn"
    msg["Subject"] = "情况表"
    msg.set_content("<html><head><style>p{color:red}</style></head><body><p>您好：</p>"
                    "<div>附件是<b>主题党日</b>情况表&nbsp;请查收</div><script>x()</script></body></html>",
                    subtype="html")
    body = mime.extract(bytes(msg)).body_text
    assert body.splitlines() == ["您好：", "附件是主题党日情况表 请查收"]


def test_plain_text_is_preferred_over_its_html_alternative() -> None:
    msg = EmailMessage()
    msg["From"] = "a@b.cn"
    msg.set_content("纯文本正文")
    msg.add_alternative("<p>HTML正文</p>", subtype="html")
    assert mime.extract(bytes(msg)).body_text == "纯文本正文"


def test_qq_cloud_attachment_link_in_html_is_reported() -> None:
    link = "https://mail.qq.com/cgi-bin/ftnExs_download?k=2a3b&amp;t=exs_ftn_download&amp;code=7f"
    msg = EmailMessage()
    msg["From"] = "123456@qq.com"
    msg["Subject"] = "主题党日情况表"
    msg.set_content(f'<div>从QQ邮箱发来的超大附件</div><a href="{link}">情况表.docx (2.1M)</a>', subtype="html")
    content = mime.extract(bytes(msg))
    assert content.cloud_links == ("https://mail.qq.com/cgi-bin/ftnExs_download?k=2a3b&t=exs_ftn_download&code=7f",)
    assert content.attachments == ()


def test_163_and_new_qq_cloud_links_in_plain_text_are_reported() -> None:
    body = ("超大附件：\n情况表.docx https://mail.163.com/large-attachment-download/index.html?p=X1&file=Y2\n"
            "照片 https://wx.mail.qq.com/ftn/download?func=3&k=abc\n网易大师 http://dashi.163.com/html/cloud.html?id=1")
    content = mime.extract(branch_mail(body=body))
    assert len(content.cloud_links) == 3
    assert content.cloud_links[0].startswith("https://mail.163.com/large-attachment-download/")


def test_cloud_attachment_text_without_a_recognised_link_is_still_reported() -> None:
    content = mime.extract(branch_mail(body="情况表以超大附件形式发送，请于30天内下载。"))
    assert content.cloud_links == ("情况表以超大附件形式发送，请于30天内下载。",)


def test_multipart_report_is_flagged_and_kept_headers_are_decoded() -> None:
    raw = raw_mail(
        [("From", "MAILER-DAEMON@163.com"), ("Subject", "=?UTF-8?B?57O757uf6YCA5L+h?="),
         ("Auto-Submitted", "auto-replied"),
         ("Content-Type", 'multipart/report; report-type=delivery-status; boundary="R"')],
        b"",
    )
    raw += (b"--R\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "投递失败".encode()
            + b"\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; 163.com\r\n\r\n--R--\r\n")
    content = mime.extract(raw)
    assert content.is_report
    assert content.subject == "系统退信"
    assert content.headers["auto-submitted"] == "auto-replied"
    assert content.attachments == ()


def test_garbage_and_truncated_input_never_raises() -> None:
    samples = [b"", b"\x00\xff\xfe" * 100, b"From: \xff\xfe\r\nSubject: =?x?B?@@@?=\r\n\r\n\xff",
               b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n", branch_mail()[:200],
               b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!",
               b"Date: Thu, 99 Foo 20000 99:99:99 +9999\r\nFrom: <<<@>>>\r\n\r\nx"]
    for raw in samples:
        content = mime.extract(raw)
        _no_surrogates(content)
        assert isinstance(content.attachments, tuple)


def test_fallback_content_reads_headers_only() -> None:
    content = mime.fallback_content(branch_mail(message_id="<fb@163.com>"))
    assert content.message_id == "<fb@163.com>"
    assert content.subject == "“助力火红年代”主题党日活动情况表"
    assert content.attachments == ()
    assert mime.fallback_content(b"\xff\x00garbage").attachments == ()


def test_eml_inside_a_zip_is_opened_as_a_forwarded_mail() -> None:
    inner = branch_mail(attachments=[("情况表.docx", b"zipped form", DOCX)])
    archive = zip_bytes([("原邮件.eml", inner)])
    content = mime.extract(branch_mail(attachments=[("邮件.zip", archive, "application/zip")]))
    assert [(a.filename, a.data) for a in content.attachments] == [("情况表.docx", b"zipped form")]


def test_outlook_winmail_dat_is_passed_on_for_the_parser_to_refuse() -> None:
    raw = branch_mail(attachments=[("winmail.dat", b"\x78\x9f\x3e\x22tnef", "application/ms-tnef")])
    assert [a.filename for a in mime.extract(raw).attachments] == ["winmail.dat"]


# -- deep and wide mails: caps that keep memory bounded but reach the form, and say what they cut -----------------

FORM = form_docx()  # once: a docx made a second later differs in its zip timestamps


def _form_mail() -> bytes:
    return branch_mail(attachments=[("情况表.docx", FORM, DOCX)])


def _cut(content: MailContent) -> list[tuple[str, str]]:
    """The too_complex problems as (origin, detail); none of them may name an attachment."""
    problems = [p for p in content.problems if p.kind == "too_complex"]
    assert not {p.origin for p in problems} & {a.origin for a in content.attachments}
    return [(p.origin, p.detail) for p in problems]


@pytest.mark.parametrize("depth", [1, 4, 10])
def test_a_form_forwarded_as_an_attachment_up_to_10_deep_is_found(depth: int) -> None:
    content = mime.extract(forwarded_as_attachment(_form_mail(), depth))
    [att] = content.attachments
    assert (att.filename, att.data) == ("情况表.docx", FORM)
    assert att.origin.count("fwd ") == depth
    assert content.problems == ()
    assert len(content.forwarded_subjects) == depth


def test_a_form_forwarded_12_deep_is_not_opened_and_the_cut_is_a_too_complex_problem() -> None:
    content = mime.extract(forwarded_as_attachment(_form_mail(), 12))
    assert content.attachments == ()
    [(origin, detail)] = _cut(content)
    assert origin.count("fwd ") == 10 and origin.endswith("part 2")
    assert detail == f"forwarded mails nested more than 10 deep; 1 forwarded mail not opened, first at {origin}"


def test_a_form_last_among_5000_tiny_text_parts_is_the_only_attachment() -> None:
    form = file_part("情况表.docx", FORM, DOCX)
    content = mime.extract(raw_mail([("From", "a@b.cn"), ("Subject", "情况表")], b"", "WIDE",
                                    [*tiny_text_parts(4999), form]))
    assert [(a.filename, a.data, a.origin) for a in content.attachments] == [("情况表.docx", FORM, "part 5000")]
    assert content.problems == ()


def test_past_10000_parts_the_walk_stops_and_says_how_many_parts_were_not_read() -> None:
    form = file_part("情况表.docx", FORM, DOCX)
    content = mime.extract(raw_mail([("From", "a@b.cn"), ("Subject", "情况表")], b"", "WIDE",
                                    [*tiny_text_parts(10_050), form]))
    assert content.attachments == ()
    assert _cut(content) == [("part 10001", "stopped after 10000 parts; 51 parts not read")]


def test_named_files_are_kept_before_nameless_parts_and_the_rest_is_a_too_complex_problem() -> None:
    nameless = [file_part(None, bytes([n % 251]) * 100) for n in range(1050)]
    form = file_part("情况表.docx", FORM, DOCX)
    content = mime.extract(raw_mail([("From", "a@b.cn"), ("Subject", "情况表")], b"", "W", [*nameless, form]))
    assert len(content.attachments) == 1000
    assert content.attachments[-1].filename == "情况表.docx"  # the named file, last in the mail, is kept
    origins = [a.origin for a in content.attachments]
    assert origins == sorted(origins, key=lambda o: int(o.split()[-1]))  # still in the order of the mail
    assert _cut(content) == [("part 1000", "kept 1000 attachments; 51 more not kept, first at part 1000")]


def test_nameless_parts_keep_their_place_and_names_when_nothing_is_cut() -> None:
    content = mime.extract(raw_mail([("From", "a@b.cn")], b"", "B", [
        file_part(None, b"one", "application/msword"), file_part("二.docx", b"two", DOCX),
        file_part(None, b"three", "application/pdf")]))
    assert [(a.filename, a.origin) for a in content.attachments] == [
        ("附件1.doc", "part 1"), ("二.docx", "part 2"), ("附件3.pdf", "part 3")]


def test_attachments_past_the_byte_cap_are_a_too_complex_problem() -> None:
    limits = mime.Limits(kept_bytes=2500)
    content = mime.extract(raw_mail([("From", "a@b.cn")], b"", "B", [
        file_part(f"{n}.docx", bytes([n]) * 1000, DOCX) for n in range(1, 5)]), limits)
    assert [a.filename for a in content.attachments] == ["1.docx", "2.docx"]
    assert _cut(content) == [("part 3", "kept 2000 bytes of attachments (at most 2500 bytes); 2 more attachments "
                                        "(2000 bytes) not kept, first at part 3")]


def test_a_form_under_40_nested_multiparts_is_found_and_past_50_the_cut_is_recorded() -> None:
    leaf = file_part("情况表.docx", FORM, DOCX)
    found = mime.extract(nested_multiparts(leaf, 40))
    assert [a.filename for a in found.attachments] == ["情况表.docx"] and found.problems == ()
    deep = mime.extract(nested_multiparts(leaf, 60))
    assert deep.attachments == ()
    [(origin, detail)] = _cut(deep)
    assert origin == "part " + ".".join(["1"] * 50)
    assert detail == f"multiparts nested more than 50 deep; 1 part not read below {origin}"


def test_a_mail_too_deep_for_the_parser_keeps_its_headers_and_says_so() -> None:
    content = mime.extract(nested_multiparts(file_part("情况表.docx", FORM, DOCX), 1500))
    assert content.subject == "情况表" and content.sender_address == "a@b.cn"
    assert [(p.origin, p.kind) for p in content.problems] == [("mail", "too_complex")]
    assert "only its headers were read" in content.problems[0].detail


def test_one_broken_byte_in_a_raw_subject_and_sender_name_spoils_only_that_character() -> None:
    subject = "“助力火红年代”主题党日活动情况表".encode()
    name = "苏州市财政局离退休干部党支部".encode()
    raw = raw_mail([("From", name[:6] + b"\xff" + name[6:] + b" <czj_lgb@163.com>"),
                    ("Subject", subject[:10] + subject[11:]), ("Date", "Wed, 13 May 2020 09:30:00 +0800")],
                   "附件为情况表")
    content = mime.extract(raw)
    assert content.subject == "“助力\ufffd红年代”主题党日活动情况表"
    assert content.sender_name == "苏州\ufffd市财政局离退休干部党支部"
    assert content.sender_address == "czj_lgb@163.com"


# -- addresses: decode, then parse; From, Sender and Reply-To ---------------------------------------------------

def _b(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?b?{base64.b64encode(text.encode(charset)).decode()}?="


def _q(text: str, charset: str) -> str:
    return f"=?{charset}?Q?{''.join(f'={b:02X}' for b in text.encode(charset))}?="


@pytest.mark.parametrize(
    "from_value",
    [_b("公安局老干部处 <gaj_lgc@163.com>"), _q("公安局老干部处 <gaj_lgc@163.com>", "gbk"),
     _b('"公安局老干部处" <gaj_lgc@163.com>', "gb2312"), _b("公安局老干部处 <GAJ_LGC@163.COM>")],
    ids=["utf8-b", "gbk-q", "quoted-gb2312", "upper"],
)
def test_a_from_encoded_whole_keeps_its_address(from_value: str) -> None:
    content = mime.extract(raw_mail([("From", from_value), ("Subject", "情况表")], "正文"))
    assert (content.sender_address, content.sender_name) == ("gaj_lgc@163.com", "公安局老干部处")
    fallback = mime.fallback_content(raw_mail([("From", from_value)], "正文"))
    assert fallback.sender_address == "gaj_lgc@163.com"


def test_reply_to_and_sender_are_exposed_decoded_and_parsed() -> None:
    raw = raw_mail([("From", "支部 <zb@163.com>"), ("Sender", _b("代发 <secretary@126.com>")),
                    ("Reply-To", _b("办公室 <bgs@163.com>") + ", =?gbk?B?" +
                     base64.b64encode("组织委员".encode("gbk")).decode() + "?= <zzwy@qq.com>")], "正文")
    content = mime.extract(raw)
    assert content.sender_address == "zb@163.com"
    assert content.sender_header_address == "secretary@126.com"
    assert content.reply_to_addresses == ("bgs@163.com", "zzwy@qq.com")
    plain = mime.extract(raw_mail([("From", "zb@163.com")], "正文"))
    assert (plain.sender_header_address, plain.reply_to_addresses) == ("", ())


def test_an_encoded_display_name_with_a_comma_is_one_name() -> None:
    content = mime.extract(raw_mail([("From", _b("张三, 李四") + " <zs@163.com>")], "x"))
    assert (content.sender_address, content.sender_name) == ("zs@163.com", "张三, 李四")
    whole = mime.extract(raw_mail([("From", _b("张三, 李四 <zs@163.com>"))], "x"))
    assert (whole.sender_address, whole.sender_name) == ("zs@163.com", "张三, 李四")


@pytest.mark.parametrize(
    ("from_value", "address"),
    [
        ("branch?cc=boss%40evil.com&body=hi@163.com", "branch?cc=boss%40evil.com&body=hi@163.com"),
        ('"branch?cc=boss@evil.com&body=hi"@163.com', '"branch?cc=boss@evil.com&body=hi"@163.com'),
        ('支部 <"x?cc=a@evil.com&body=y"@163.com>', '"x?cc=a@evil.com&body=y"@163.com'),
        ("支部 <x?cc=a@evil.com&body=y@163.com>", '"x?cc=a@evil.com&body=y"@163.com'),
        (_b("支部 <x?subject=z&cc=a%40evil.com@163.com>"), "x?subject=z&cc=a%40evil.com@163.com"),
    ],
    ids=["atom", "quoted", "angle-quoted", "angle-two-at", "encoded"],
)
def test_query_characters_in_the_local_part_come_through_as_data(from_value: str, address: str) -> None:
    content = mime.extract(raw_mail([("From", from_value)], "x"))
    assert content.sender_address == address
    local, _, domain = content.sender_address.rpartition("@")
    assert domain == "163.com" and ("@" not in local or local.startswith('"'))  # still one mailbox at 163.com


def test_a_name_that_looks_like_an_address_is_still_only_the_name() -> None:
    raw = raw_mail([("From", "zb@163.com <real@126.com>"), ("Reply-To", "henry@example.com <ivan@example.com>")], "x")
    content = mime.extract(raw)
    assert (content.sender_address, content.sender_name) == ("real@126.com", "zb@163.com")
    assert content.reply_to_addresses == ("ivan@example.com",)


def test_a_from_without_any_address_keeps_its_word() -> None:
    assert mime.extract(raw_mail([("From", "MAILER-DAEMON")], "x")).sender_address == "mailer-daemon"
