"""classify: what is ignored and why, what speaks of the campaign, what is a correction."""

from __future__ import annotations

from typing import Any

from ingest import mime
from ingest.classify import ignore_reason, is_correction, mentions_campaign
from tests.builders import DOCX, branch_mail

OWN = {"szlgbjdjc@163.com"}


def _reason(**kwargs: Any) -> str | None:
    return ignore_reason(mime.extract(branch_mail(**kwargs)), OWN)


def test_an_ordinary_branch_mail_is_not_ignored() -> None:
    assert _reason(attachments=[("情况表.docx", b"x", DOCX)]) is None


def test_auto_replies_are_ignored_by_header_or_subject() -> None:
    assert _reason(headers=[("Auto-Submitted", "auto-replied")]) == "auto_reply"
    assert _reason(headers=[("X-Autoreply", "yes")]) == "auto_reply"
    assert _reason(subject="自动回复：主题党日情况表") == "auto_reply"
    assert _reason(subject="Automatic reply: 情况表") == "auto_reply"
    assert _reason(headers=[("Auto-Submitted", "no")]) is None


def test_bounces_are_ignored_by_sender_report_or_failed_recipients() -> None:
    assert _reason(sender="Mail Delivery Subsystem <MAILER-DAEMON@126.com>") == "bounce"
    assert _reason(sender="postmaster@qq.com") == "bounce"
    assert _reason(headers=[("X-Failed-Recipients", "x@y.cn")]) == "bounce"
    assert _reason(subject="系统退信", headers=[("Return-Path", "<>")]) == "bounce"
    report = (b"From: someone@163.com\r\nSubject: x\r\nContent-Type: multipart/report; report-type=delivery-status;"
              b' boundary="R"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--R--\r\n')
    assert ignore_reason(mime.extract(report), OWN) == "bounce"


def test_read_receipt_report_is_an_auto_reply() -> None:
    receipt = (b"From: someone@163.com\r\nSubject: x\r\nContent-Type: multipart/report; "
               b'report-type=disposition-notification; boundary="R"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\n'
               b"read\r\n--R--\r\n")
    assert ignore_reason(mime.extract(receipt), OWN) == "auto_reply"


def test_our_own_digest_is_ignored_by_marker_header_or_own_address_and_digest_subject() -> None:
    assert _reason(headers=[("X-Intake-Digest", "2026-06-01")]) == "own_digest"
    subject = "【主题党日活动情况表】2020-05-14 日报：新收3份，更正1份，待处理2项"
    assert _reason(sender="组织指导处 <SZLGBJDJC@163.com>", subject=subject) == "own_digest"


def test_a_form_staff_send_from_the_office_mailbox_itself_is_not_ignored() -> None:
    mail = branch_mail(sender="组织指导处 <szlgbjdjc@163.com>", subject="转：某党支部主题党日活动情况表（微信收到）",
                       attachments=[("情况表.docx", b"x", DOCX)])
    assert ignore_reason(mime.extract(mail), OWN) is None


def test_mailing_list_and_bulk_mail_is_ignored() -> None:
    assert _reason(headers=[("List-Id", "<news.example.org>")]) == "mailing_list"
    assert _reason(headers=[("Precedence", "bulk")]) == "mailing_list"
    assert _reason(headers=[("Precedence", "junk")]) == "mailing_list"


def test_campaign_is_recognised_in_subject_body_or_file_name() -> None:
    assert mentions_campaign(mime.extract(branch_mail(subject="活动材料", body="这是 主题 党日 的材料")))
    assert mentions_campaign(mime.extract(branch_mail(subject="材料", body="见附件",
                                                      attachments=[("火红年代.docx", b"x", DOCX)])))
    assert mentions_campaign(mime.extract(branch_mail(subject="党日活动报送", body="")))
    assert not mentions_campaign(mime.extract(branch_mail(subject="周末聚餐", body="周六中午见")))


def test_correction_words_in_subject_or_body_set_the_flag() -> None:
    for subject, body in (("情况表（更正）", ""), ("情况表", "人数有误，现重新报送"), ("重报：情况表", ""),
                          ("情况表", "补充两张照片"), ("修改后的情况表", ""), ("情况表修正版", "")):
        assert is_correction(mime.extract(branch_mail(subject=subject, body=body))), (subject, body)
    assert not is_correction(mime.extract(branch_mail(subject="情况表", body="请查收")))


def test_every_correction_word_in_simplified_or_traditional_characters_sets_the_flag() -> None:
    from ingest.classify import CORRECTION_WORDS

    for word in CORRECTION_WORDS:
        assert is_correction(mime.extract(branch_mail(subject=f"第一党支部情况表（{word}）"))), word
