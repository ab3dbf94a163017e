"""The digest stays a few hundred KB whatever arrives: outside values cut with an ellipsis, long lists cut with
an exact count of the rest."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.settings import Settings
from core.vocab import FailureKind
from digest import limits
from digest.render import render_digest
from digest.run import run_digest
from store.failures import record_failure
from store.messages import record_message
from store.records import Correction, DuplicateRow
from store.session import SessionFactory
from tests.digest.factories import DIGEST_AT, SHANGHAI, at, facts, failure, health, report
from tests.digest.helpers import TO, parse
from tests.digest.test_run import DAY, MORNING_AFTER
from tests.store.helpers import BASE_TIME, message_in

TEN_MB_SUBJECT = "关于报送主题党日活动情况表的函" * 700_000  # 10.5 million characters
MAX_DIGEST_BYTES = 5_000_000


def seed_hostile_day(factory: SessionFactory, failures: int) -> None:
    """One failing mail whose Subject is 10 MB, then `failures` more failing mails, all on DAY."""
    raw = b"Subject: x\r\n\r\nbody\r\n"
    with factory() as session:
        huge = record_message(session, message_in(TEN_MB_SUBJECT, raw=raw, received_at=BASE_TIME,
                                                  sender_name="发" * 100_000))
        record_failure(session, huge.message_pk, None, FailureKind.NO_ATTACHMENT, "detail " * 100_000)
        for i in range(failures):
            msg = record_message(session, message_in(f"第{i}支部情况表", raw=raw,
                                                     received_at=BASE_TIME + timedelta(seconds=i)))
            record_failure(session, msg.message_pk, None, FailureKind.NO_ATTACHMENT)
        session.commit()


@pytest.mark.slow
def test_a_ten_megabyte_subject_and_5000_failures_make_a_small_digest_that_counts_exactly(
    tmp_path: Path, session_factory: SessionFactory
) -> None:
    seed_hostile_day(session_factory, 5000)
    settings = Settings(data_dir=tmp_path / "var", digest_to=TO, digest_from="szlgbjdjc@163.com")
    outcome = run_digest(settings, session_factory, DAY, mode=None, out=None, force=False, now=MORNING_AFTER)
    eml, page = outcome.paths
    size = eml.stat().st_size
    print(f"digest .eml {size:,} bytes, .html {page.stat().st_size:,} bytes")
    assert size < MAX_DIGEST_BYTES

    mail = parse(eml.read_bytes())
    assert mail["Subject"].endswith("新收0份，更正0份，待处理5001项")
    text_part = mail.get_body(preferencelist=("plain",))
    assert text_part is not None
    text = text_part.get_content()
    assert "待处理（今日新增 5001 项，累计未处理 5001 项）" in text
    assert f"另有 {5001 - limits.LIST_LIMIT:,} 项未列出，请用 intake failures 查看。" in text
    subject_line = next(line for line in text.splitlines() if line.strip().startswith("邮件主题：关于报送"))
    assert subject_line.endswith("…") and len(subject_line) < limits.SUBJECT + 20
    assert "另有 4,901 项未列出" in page.read_text("utf-8")


def test_every_outside_value_is_cut_with_an_ellipsis_in_html_and_text() -> None:
    big = "很长" * 500_000  # a million characters
    busy = facts(
        new_reports=(report(org_name=big, contact_person=big, sender=big, headcount=None, headcount_text=big,
                            contact_phone=big, warnings=(big,) * 50),),
        corrections=(Correction(report_id=3, org_name=big, version=2, received_at=at(11),
                                changes=(("summary", big, big), ("agenda", big, big))),),
        new_failures=(failure(sender=f"{big} <limei@example.com>", subject=big, filename=big, kind="new_kind",
                              message=big),),
        duplicates=(DuplicateRow(kind="form", sender=big, subject=big, filename=big, of_what=big,
                                 received_at=at(10)),),
        health=(health(account=big, folder=big, errors_since=((at(3), big), (at(4), big + "x"))),),
    )
    out = render_digest(busy, SHANGHAI, DIGEST_AT, 1)
    assert len(out.html.encode()) < 60_000 and len(out.text.encode()) < 30_000
    for body in (out.html, out.text):
        assert body.count("…") >= 12
        assert "另有 42 条提示未列出" in body
    assert 'href="mailto:limei@example.com?subject=' in out.html  # the address is found behind a huge name
    longest = max(len(line) for line in out.text.splitlines() if not line.strip().startswith("需核对"))
    assert longest < 400


def test_more_than_the_list_limit_of_each_section_says_how_many_are_not_listed() -> None:
    n = limits.LIST_LIMIT + 3812
    many = facts(
        new_reports=tuple(report(id=i, org_name=f"第{i}党支部") for i in range(n)),
        corrections=tuple(Correction(report_id=i, org_name=f"第{i}党支部", version=2, received_at=at(11),
                                     changes=(("headcount", "18", "21"),)) for i in range(n)),
        new_failures=tuple(failure(id=i) for i in range(n)),
        duplicates=tuple(DuplicateRow(kind="form", sender="a@b.cn", subject="s", filename="f",
                                      of_what=f"与第{i}党支部情况表相同", received_at=at(10)) for i in range(n)),
    )
    out = render_digest(many, SHANGHAI, DIGEST_AT, n)
    assert f"新收情况表（{n} 份）" in out.text and f"更正（{n} 份）" in out.text
    assert f"待处理（今日新增 {n} 项" in out.text and f"重复报送（已自动忽略 {n} 份）" in out.text
    for body in (out.text, out.html):
        assert "另有 3,812 份未列出，见附件汇总表" in body
        assert "另有 3,812 份更正未列出" in body
        assert "另有 3,812 项未列出，请用" in body
        assert "另有 3,812 项未列出" in body
    assert f"第{limits.LIST_LIMIT - 1}党支部" in out.text and f"第{limits.LIST_LIMIT}党支部" not in out.text
    assert len(out.html.encode()) < 1_500_000
