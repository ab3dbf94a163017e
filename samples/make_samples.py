"""Writes the sample mailbox: a dozen .eml files shaped like the 2020 branch submissions to szlgbjdjc@163.com.

Everything is fixed (dates, Message-IDs, MIME boundaries, zip member times), so a rerun gives byte-identical files.
Also writes the roster (名册) the demo loads, samples/roster.xlsx, from sample_roster.py.
Run: .venv/bin/python samples/make_samples.py [--out DIR] [--roster FILE]   (default: samples/mail and
samples/roster.xlsx beside this script)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_branches import CAIZHENG, CAIZHENG_FIXED, GUSU, JIAOYU, MINZHENG, SHISHAN, SHUILI, SONGLING
from sample_files import excel_form, gbk_zip, jpeg_photo, scene, word_form
from sample_mime import (
    CRLF,
    DOCX,
    MAILBOX,
    XLSX,
    b64_lines,
    coremail,
    date_header,
    gbk_attachment,
    header_words,
    html_of,
    message,
    multipart,
    part,
    qp_lines,
    qq_mail,
    rfc2231,
    text_part,
)
from sample_roster import roster_workbook


def mail_163_docx() -> bytes:
    """1. 163 webmail, GBK everywhere, the form's name an encoded word in quotes."""
    form = word_form(CAIZHENG, datetime(2020, 5, 14, 16, 20), "钱卫东", seed="form-example.docx")
    return coremail(
        datetime(2020, 5, 15, 9, 41, 27),
        ("钱卫东", "qianweidong1956@163.com"),
        "苏州市财政局离退休干部党支部“助力火红年代”主题党日活动情况表",
        "施处长、刘老师：\n    你们好！附件是我支部“助力火红年代”主题党日活动情况表，请查收。\n\n"
        "苏州市财政局离退休干部党支部\n钱卫东\n2020年5月15日",
        [gbk_attachment("财政局离退休干部党支部主题党日情况表.docx", DOCX, form)],
        "4f8a2c1e.6b3d.17216f0c9a2.Coremail.qianweidong1956@163.com",
        "118604_1987301322.1589506887305",
    )


def mail_163_correction() -> bytes:
    """5. The same branch a day later: 更正 in the subject, headcount 23 -> 25, otherwise the same form."""
    form = word_form(CAIZHENG_FIXED, datetime(2020, 5, 16, 8, 40), "钱卫东", seed="form-example.docx")
    return coremail(
        datetime(2020, 5, 16, 8, 52, 10),
        ("钱卫东", "qianweidong1956@163.com"),
        "更正：苏州市财政局离退休干部党支部“助力火红年代”主题党日活动情况表",
        "施处长：\n    昨天报送的情况表中参加人数有误，应为25人，现更正后重新发送，请以此件为准。谢谢！\n\n钱卫东",
        [gbk_attachment("财政局离退休干部党支部主题党日情况表（更正）.docx", DOCX, form)],
        "6c1d9e0b.1f27.1721c08e4d5.Coremail.qianweidong1956@163.com",
        "220391_462853990.1589590330418",
    )


GUSU_SUBJECT = "姑苏区老干部局机关离退休党支部“助力火红年代”主题党日活动情况表"
GUSU_FILE = "姑苏区老干部局机关离退休党支部主题党日活动情况表.docx"


def gusu_form() -> bytes:
    """The 姑苏区 branch's form, built once from the blank form (shared by the mail and its resend)."""
    return word_form(GUSU, datetime(2020, 6, 3, 14, 55), "Administrator")


def mail_qq_docx() -> bytes:
    """2. QQ Mail, UTF-8, RFC 2231 file name, body 见附件."""
    return qq_mail(
        datetime(2020, 6, 3, 15, 20, 33),
        ("周建华", "1069235418@qq.com"),
        GUSU_SUBJECT,
        (GUSU_FILE, gusu_form()),
        "tencent_3F1E8B2A9C4D7E6F5A0B1C2D3E4F5A6B7C08@qq.com",
        "5ED74F61_0D3A8B40_6E1C2F95",
    )


def mail_qq_resend() -> bytes:
    """6. The same mail sent again forty minutes later: new Date, Message-ID and boundary, same attachment bytes."""
    return qq_mail(
        datetime(2020, 6, 3, 16, 2, 11),
        ("周建华", "1069235418@qq.com"),
        GUSU_SUBJECT,
        (GUSU_FILE, gusu_form()),
        "tencent_91C0D47A2E5B3F8C6D1E0A9B8C7D6E5F4A09@qq.com",
        "5ED7592B_0E4F1A70_3B8D6C21",
    )


def mail_foxmail_xlsx() -> bytes:
    """3. Foxmail from a 126 mailbox carrying the form as an .xlsx worksheet (gb2312 encoded words)."""
    sheet = excel_form(JIAOYU, datetime(2020, 6, 17, 10, 5), "lxy")
    text = "市委老干部局组织指导处：\n    现将我支部主题党日活动情况表报上，请审阅。\n\n陆秀英\n2020-06-18"
    outer, alternative = "----=_001_NextPart385241187307_=----", "----=_002_NextPart503170294566_=----"
    headers = [
        f"Date: {date_header(datetime(2020, 6, 18, 9, 7, 44))}",
        header_words("From", "陆秀英", "gb2312") + " <szjy_lxy@126.com>",
        f"To: {MAILBOX}",
        header_words("Subject", "教育局离退休干部第二党支部主题党日活动情况表", "gb2312"),
        "X-Priority: 3",
        "X-GUID: 7A2B5C1D-3E4F-4A60-8B9C-D0E1F2A3B4C5",
        "X-Has-Attach: yes",
        "X-Mailer: Foxmail 7.2.16.188[cn]",
        "Mime-Version: 1.0",
        "Message-ID: <202006180907441521803@126.com>",
        f'Content-Type: multipart/mixed;{CRLF}\tboundary="{outer}"',
    ]
    body = multipart(
        outer,
        [
            part(
                [f'Content-Type: multipart/alternative;{CRLF}\tboundary="{alternative}"'],
                multipart(alternative, [text_part(text, "gb2312"), text_part(html_of(text), "gb2312", "html")]),
            ),
            gbk_attachment("教育局第二党支部情况表.xlsx", XLSX, sheet, "gb2312"),
        ],
        preamble="This is a multi-part message in MIME format." + CRLF + CRLF,
    )
    return message(headers, body)


def mail_iphone_photos() -> bytes:
    """4. iPhone Mail (139 mailbox): the .docx form with two photos beside it, RFC 2231 names."""
    form = word_form(SHUILI, datetime(2020, 7, 3, 21, 14), "顾国平")
    photos = [("IMG_0412.JPG", jpeg_photo(scene(0))), ("IMG_0415.JPG", jpeg_photo(scene(2)))]
    boundary = "Apple-Mail-3F2A9C1E-7B4D-4E21-9A0C-5D8E1F2B6A73"
    text = "施处长，您好！水利局离退休干部党支部主题党日情况表和两张活动照片请查收。\n\n发自我的iPhone"
    entities = [text_part(text, "utf-8")]
    entities.append(
        part(
            [
                f"Content-Type: {DOCX};{CRLF}\t{rfc2231('name', '水利局离退休党支部情况表.docx')}",
                f"Content-Disposition: attachment;{CRLF}\t{rfc2231('filename', '水利局离退休党支部情况表.docx')}",
                "Content-Transfer-Encoding: base64",
            ],
            b64_lines(form),
        )
    )
    for name, data in photos:
        entities.append(
            part(
                [
                    f"Content-Type: image/jpeg;{CRLF}\tname={name}",
                    f"Content-Disposition: attachment;{CRLF}\tfilename={name}",
                    "Content-Transfer-Encoding: base64",
                ],
                b64_lines(data),
            )
        )
    headers = [
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
        "Content-Transfer-Encoding: 7bit",
        header_words("From", "顾国平", "utf-8") + " <13862097315@139.com>",
        "Mime-Version: 1.0 (1.0)",
        f"Date: {date_header(datetime(2020, 7, 3, 21, 26, 8))}",
        header_words("Subject", "水利局离退休干部党支部情况表及照片", "utf-8"),
        "Message-Id: <5D3C1A2B-8E4F-4A6B-9C7D-0E1F2A3B4C5D@139.com>",
        f"To: {MAILBOX}",
        "X-Mailer: iPhone Mail (17F80)",
    ]
    return message(headers, multipart(boundary, entities))


def mail_truncated_docx() -> bytes:
    """7. A 126 mail whose .docx arrived cut off after 2000 bytes (a failed upload): the parser must call it corrupt."""
    whole = word_form(MINZHENG, datetime(2020, 8, 7, 17, 2), "sunyl")
    return coremail(
        datetime(2020, 8, 10, 10, 15, 2),
        ("孙玉兰", "sunyulan_mz@126.com"),
        "民政局离退休干部党支部主题党日活动情况表",
        "您好，附件为民政局离退休干部党支部情况表。\n孙玉兰",
        [gbk_attachment("民政局离退休干部党支部情况表.docx", DOCX, whole[:2000])],
        "2b7e5f13.4a90.173d6b8e2c1.Coremail.sunyulan_mz@126.com",
        "87213_301925744.1597025702145",
    )


def mail_no_attachment() -> bytes:
    """8. A branch announcing that the form will follow: plain text, no attachment."""
    text = (
        "施处长：\n    您好！我支部已于8月20日开展“助力火红年代”主题党日活动，"
        "情况表正在整理，稍后补发。\n\n吴中区长桥街道老干部党支部  沈梅芳\n"
    )
    headers = [
        "Received: from [192.168.1.103] (unknown [49.74.162.35])"
        f"{CRLF}\tby smtp.189.cn (Postfix) with ESMTPA id 4BXk2q6Fzbz1KQ;"
        f"{CRLF}\t{date_header(datetime(2020, 8, 21, 8, 3, 55))}",
        header_words("From", "沈梅芳", "GB2312") + " <shenmeifang_cq@189.cn>",
        f"To: {MAILBOX}",
        header_words("Subject", "情况表稍后补发", "GB2312"),
        f"Date: {date_header(datetime(2020, 8, 21, 8, 3, 51))}",
        "Message-ID: <5F3F0F97.8010504@189.cn>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="GB2312"',
        "Content-Transfer-Encoding: base64",
    ]
    return message(headers, b64_lines(text.replace("\n", CRLF).encode("gb2312")))


def mail_forwarded() -> bytes:
    """9. 吴江区委老干部局 forwards a branch's original mail as a message/rfc822 attachment (Outlook)."""
    form = word_form(SONGLING, datetime(2020, 9, 10, 15, 30), "徐志刚")
    inner = qq_mail(
        datetime(2020, 9, 11, 16, 48, 5),
        ("徐志刚", "2287361045@qq.com"),
        "松陵街道离退休干部党支部主题党日活动情况表",
        ("松陵街道离退休干部党支部“助力火红年代”主题党日活动情况表.docx", form),
        "tencent_C2A9E61F0B7D4E3A8F5C1D2E3F4A5B6C7D08@qq.com",
        "5F5B3B0D_0A9C2E70_7F1D3C48",
        split=60,
    ).decode("ascii")
    text = (
        "市委老干部局组织指导处：\n    转发松陵街道离退休干部党支部主题党日活动情况表，请查收。\n\n"
        "吴江区委老干部局组织科\n电话：0512-63982716"
    )
    outer = "----=_NextPart_000_0012_01D68A4B.2C3E5F60"
    alternative = "----=_NextPart_001_0013_01D68A4B.2C3E5F60"
    headers = [
        header_words("From", "吴江区委老干部局", "gb2312") + " <wjqlgj_zzk@163.com>",
        f"To: <{MAILBOX}>",
        header_words("Subject", "转发: 松陵街道离退休干部党支部主题党日活动情况表", "gb2312"),
        f"Date: {date_header(datetime(2020, 9, 14, 9, 12, 40))}",
        "Message-ID: <000d01d68a4b$2c3e5f60$84a81e20$@163.com>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed;{CRLF}\tboundary="{outer}"',
        "X-Mailer: Microsoft Outlook 16.0",
        "Thread-Index: AdaKSmK7dPv+3n4QSRaVhuIBlQTtEA==",
        "Content-Language: zh-cn",
    ]
    body = multipart(
        outer,
        [
            part(
                [f'Content-Type: multipart/alternative;{CRLF}\tboundary="{alternative}"'],
                multipart(alternative, [text_part(text, "gb2312"), text_part(html_of(text), "gb2312", "html")]),
            ),
            part(["Content-Type: message/rfc822", "Content-Disposition: attachment"], inner),
        ],
        preamble="This is a multipart message in MIME format." + CRLF + CRLF,
    )
    return message(headers, body)


def mail_auto_reply() -> bytes:
    """10. An out-of-office auto-reply (Auto-Submitted: auto-replied) to one of the office's reminders."""
    text = "您好，我近期外出，不能及时查看邮件，回来后会尽快回复。\n此邮件为自动回复。\n"
    headers = [
        f"Date: {date_header(datetime(2020, 10, 12, 14, 30, 2), ' (CST)')}",
        header_words("From", "王建国", "GBK") + " <wangjianguo_ltx@163.com>",
        f"To: {MAILBOX}",
        "Message-ID: <auto.5f83f8e2.3a61.1751b9ce0f4@163.com>",
        header_words("Subject", "自动回复：关于报送“助力火红年代”主题党日活动情况表的提醒", "GBK"),
        "In-Reply-To: <20201012142955.szlgb-reminder-07@163.com>",
        "Auto-Submitted: auto-replied",
        "X-Autoreply: yes",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
    ]
    return message(headers, qp_lines(text, "utf-8"))


def mail_newsletter() -> bytes:
    """11. A travel agency's bulk newsletter: nothing about the campaign, List-Unsubscribe, Precedence: bulk."""
    html = (
        "<html><body><h2>金秋重阳 银发专列</h2>"
        "<p>苏州—黄山—宏村四日游，10月25日发团，60周岁以上长者立减200元。</p>"
        "<p>报名热线：0512-65287730（工作日9:00-17:00）</p>"
        '<p><a href="https://example.com/unsubscribe?u=szlgbjdjc">退订</a></p></body></html>'
    )
    headers = [
        header_words("From", "苏州夕阳红旅行社", "utf-8") + " <news@mail.example.com>",
        f"To: {MAILBOX}",
        header_words("Subject", "【重阳特惠】银发专列·黄山宏村四日游开始报名", "utf-8"),
        f"Date: {date_header(datetime(2020, 10, 20, 7, 0, 0))}",
        "Message-ID: <nl-20201020-0700-884213@mail.example.com>",
        "List-Unsubscribe: <https://example.com/unsubscribe?u=szlgbjdjc>",
        "List-Id: <news.mail.example.com>",
        "Precedence: bulk",
        "MIME-Version: 1.0",
        'Content-Type: text/html; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
    ]
    return message(headers, b64_lines(html.encode("utf-8")))


def mail_gbk_zip() -> bytes:
    """12. A zip made on Chinese Windows: member names in GBK without the UTF-8 flag, the form and a photo inside."""
    when = datetime(2020, 11, 11, 19, 40)
    form = word_form(SHISHAN, when, "jlh")
    archive = gbk_zip(
        [("狮山街道老干部党支部“助力火红年代”情况表.docx", form), ("活动照片.jpg", jpeg_photo(scene(1)))], when
    )
    return coremail(
        datetime(2020, 11, 12, 8, 31, 19),
        ("蒋丽华", "jianglihua_ss@163.com"),
        "狮山街道老干部党支部情况表（压缩包）",
        "您好！情况表和照片打包在压缩文件里，请查收。\n蒋丽华 13812960374",
        [gbk_attachment("狮山街道老干部党支部情况表.zip", "application/x-zip-compressed", archive)],
        "7d20a4c9.58e1.175bb3f2a07.Coremail.jianglihua_ss@163.com",
        "401877_1139402851.1605141079512",
    )


SAMPLES: dict[str, Callable[[], bytes]] = {
    "01-163-gbk-docx.eml": mail_163_docx,
    "02-qq-rfc2231-docx.eml": mail_qq_docx,
    "03-foxmail-xlsx.eml": mail_foxmail_xlsx,
    "04-iphone-docx-photos.eml": mail_iphone_photos,
    "05-163-correction.eml": mail_163_correction,
    "06-qq-exact-resend.eml": mail_qq_resend,
    "07-truncated-docx.eml": mail_truncated_docx,
    "08-no-attachment.eml": mail_no_attachment,
    "09-forwarded-rfc822.eml": mail_forwarded,
    "10-auto-reply.eml": mail_auto_reply,
    "11-newsletter.eml": mail_newsletter,
    "12-gbk-zip.eml": mail_gbk_zip,
}


def write_samples(out: Path) -> list[Path]:
    """Write every sample into out (created if needed) and return the paths, in order."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in SAMPLES.items():
        path = out / name
        path.write_bytes(build())
        written.append(path)
    return written


ROSTER_DATE = datetime(2020, 4, 10, 9, 0)  # the bureau's list, made before the season


def write_roster(path: Path) -> Path:
    """Write the sample roster workbook to path (its folder made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(roster_workbook(ROSTER_DATE))
    return path


def main(argv: list[str] | None = None) -> int:
    """Command line: --out DIR (default samples/mail), --roster FILE (default samples/roster.xlsx)."""
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=here / "mail")
    parser.add_argument("--roster", type=Path, default=here / "roster.xlsx")
    args = parser.parse_args(argv)
    for path in write_samples(args.out):
        print(path)
    print(write_roster(args.roster))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
