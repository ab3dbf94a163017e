"""Every real mail in tests/data/public/mail and samples/mail goes through mime.extract and classify without
raising, and reads exactly as recorded in corpus_expected.json (sender, subject, date, body, attachments, problems).

When a change to the mail side makes some mail read differently, the snapshot test lists each difference: review
them one by one, and only when every one is better (or equal) record the new readings with
`.venv/bin/python -m tests.ingest.test_corpus` and commit corpus_expected.json with the change.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from ingest import classify, mime
from ingest.files import content_uid, iter_paths
from ingest.model import MailContent

CJK = re.compile(r"[\u4e00-\u9fff]")
REPO = Path(__file__).resolve().parents[2]
EXPECTED = Path(__file__).with_name("corpus_expected.json")


def _mails(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in (corpus_dir / "mail").iterdir() if p.is_file())


def _all_text(content: MailContent) -> list[str]:
    texts = [content.message_id, content.sender_address, content.sender_name, content.subject, content.body_text,
             *content.cloud_links, *content.headers.values(), *content.forwarded_subjects]
    for att in content.attachments:
        texts += [att.filename, att.origin, att.content_type]
    return texts


def test_every_corpus_mail_is_extracted_and_classified_without_raising_or_surrogates(corpus_dir: Path) -> None:
    mails = _mails(corpus_dir)
    assert len(mails) > 100
    for path in mails:
        content = mime.extract(path.read_bytes())
        classify.ignore_reason(content, {"szlgbjdjc@163.com"})
        classify.mentions_campaign(content)
        classify.is_correction(content)
        for text in _all_text(content):
            assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text), (path.name, text[:80])
            assert "\x00" not in text, path.name
        origins = {a.origin for a in content.attachments}
        for problem in content.problems:  # a file's problem names the file; anything else is the message's
            assert problem.origin in origins or problem.kind in {"too_complex", "internal_error"}, path.name


def test_import_reads_the_whole_corpus_folder_and_skips_the_two_outlook_files(corpus_dir: Path) -> None:
    got = list(iter_paths([corpus_dir / "mail"]))
    eml = [p for p in _mails(corpus_dir) if p.suffix == ".eml"]
    assert len(got) == len(eml)
    assert [m.uid for m in got] == [content_uid(p.read_bytes()) for p in eml]
    assert len({m.uid for m in got}) == len({p.read_bytes() for p in eml})


@pytest.mark.parametrize(
    ("name", "subject_has", "body_has"),
    [
        ("flanker_charset-gb2312.eml", "提示：您的企业成员暂时无法登录邮件客户端", "尊敬的管理员"),
        ("letters_chinese_plaintext_gbk_over_base64.eml", "施氏食狮史", "石室诗士施氏"),
        ("letters_chinese_multipart_mixed_gbk_over_quoted-printable.eml", "施氏食狮史", "石室诗士施氏"),
        ("letters_chinese_multipart_mixed_gb18030_over_base64.eml", "施氏食狮史", "石室诗士施氏"),
        ("letters_chinese_multipart_related_gbk_over_base64.eml", "施氏食狮史", "石室诗士施氏"),
        ("letters_chinese_multipart_signed_gb18030_over_quoted-printable.eml", "施氏食狮史", "石室诗士施氏"),
    ],
)
def test_gbk_corpus_mails_decode_to_real_chinese(corpus_dir: Path, name: str, subject_has: str, body_has: str) -> None:
    content = mime.extract((corpus_dir / "mail" / name).read_bytes())
    assert subject_has in content.subject
    assert body_has in content.body_text
    assert "\ufffd" not in content.subject


def test_gb2312_corpus_sender_names_are_chinese(corpus_dir: Path) -> None:
    content = mime.extract((corpus_dir / "mail" / "flanker_charset-gb2312.eml").read_bytes())
    assert content.sender_name == "腾讯企业邮箱"
    letters = mime.extract((corpus_dir / "mail" / "letters_chinese_plaintext_gbk_over_base64.eml").read_bytes())
    assert CJK.search(letters.sender_name)


def test_corpus_bounces_and_receipts_are_ignored(corpus_dir: Path) -> None:
    reasons = {
        name: classify.ignore_reason(mime.extract((corpus_dir / "mail" / name).read_bytes()), ())
        for name in ("flanker_bounce_office365.eml", "spamscope_mail_malformed_2.eml", "phpmmp_failure.eml",
                     "flanker_disposition-notification.eml")
    }
    assert reasons == {
        "flanker_bounce_office365.eml": "bounce",
        "spamscope_mail_malformed_2.eml": "bounce",
        "phpmmp_failure.eml": "bounce",
        "flanker_disposition-notification.eml": "auto_reply",
    }


def test_corpus_forwarded_and_nested_attachments_are_found(corpus_dir: Path) -> None:
    fwd = mime.extract((corpus_dir / "mail" / "imaptools_attachment_message_rfc822.eml").read_bytes())
    assert [a.filename for a in fwd.attachments] == ["broken.pdf"]
    assert fwd.attachments[0].origin.startswith("fwd 1 / ")
    tika = mime.extract((corpus_dir / "mail" / "tika_testRFC822_multipart_attachments.eml").read_bytes())
    assert [a.filename for a in tika.attachments] == ["Test TxtA.txt", "Test TxtB.txt"]


def _short(text: str) -> str:
    """Short text as it is; a long one as its start, length and hash (one corpus subject is 130,000 characters)."""
    if len(text) <= 200:
        return text
    return f"{text[:100]}… ({len(text)} characters, sha256 {hashlib.sha256(text.encode()).hexdigest()[:16]})"


def _reading(content: MailContent) -> dict[str, Any]:
    """What a mail reads as, compactly: enough to see any change for better or worse."""
    return {
        "message_id": content.message_id,
        "from": [content.sender_address, content.sender_name],
        "reply_to": list(content.reply_to_addresses),
        "sender": content.sender_header_address,
        "subject": _short(content.subject),
        "sent_at": content.sent_at.isoformat() if content.sent_at else None,
        "body": [len(content.body_text), hashlib.sha256(content.body_text.encode()).hexdigest()[:16]],
        "attachments": [[a.filename, a.origin, a.content_type, a.sha256[:16]] for a in content.attachments],
        "problems": [[p.origin, str(p.kind), p.detail] for p in content.problems],
        "cloud_links": [_short(link) for link in content.cloud_links],
        "forwarded_subjects": [_short(subject) for subject in content.forwarded_subjects],
        "is_report": content.is_report,
    }


def _readings() -> dict[str, dict[str, Any]]:
    out = {}
    for folder in (REPO / "tests" / "data" / "public" / "mail", REPO / "samples" / "mail"):
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            out[str(path.relative_to(REPO))] = _reading(mime.extract(path.read_bytes()))
    return out


def test_every_corpus_and_sample_mail_reads_as_recorded() -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    got = _readings()
    assert sorted(got) == sorted(expected), "mails added or removed: record the snapshot again"
    changes = [
        f"{name} {field}: {expected[name][field]!r:.200} -> {got[name][field]!r:.200}"
        for name in expected for field in expected[name] if got[name].get(field) != expected[name][field]
    ]
    assert not changes, "mails read differently; review each, then record (see the module docstring):\n" + \
        "\n".join(changes[:20])


if __name__ == "__main__":
    lines = [f"{json.dumps(name, ensure_ascii=False)}: {json.dumps(reading, ensure_ascii=False)}"
             for name, reading in sorted(_readings().items())]  # one mail a line: diffs stay readable
    EXPECTED.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"recorded {EXPECTED}", file=sys.stderr)
