"""Dates from outside (Date header, IMAP INTERNALDATE, a Maildir file's mtime) are kept only when believable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest

from ingest import mime
from ingest.dates import plausible
from tests.ingest.mailbuild import raw_mail

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
CST = timezone(timedelta(hours=8))


class _HugeOffset(tzinfo):
    """A tzinfo like imapclient's FixedOffset built from "+9999": any arithmetic on it raises ValueError."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=99, minutes=99)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "+9999"


def test_a_plausible_aware_date_is_kept_as_the_same_instant() -> None:
    when = datetime(2026, 5, 13, 9, 30, tzinfo=CST)
    kept = plausible(when, NOW)
    assert kept == when and kept is not None and kept.utcoffset() == timedelta(hours=8)


def test_a_naive_date_is_taken_as_utc_and_comes_back_aware() -> None:
    kept = plausible(datetime(2026, 5, 13, 1, 30), NOW)
    assert kept == datetime(2026, 5, 13, 1, 30, tzinfo=UTC) and kept is not None and kept.tzinfo is not None


@pytest.mark.parametrize(
    "when",
    [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=1))),  # astimezone overflows
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=8))),  # astimezone underflows
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1989, 12, 31, 23, 59, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        NOW + timedelta(days=1, minutes=1),
        datetime(2086, 2, 6, 6, 28, 16, tzinfo=UTC),
        datetime(2026, 5, 13, 9, 30, tzinfo=timezone(timedelta(hours=23, minutes=59))),  # no such zone
        datetime(2026, 5, 13, 9, 30, tzinfo=_HugeOffset()),
    ],
    ids=["9999-0100", "9999", "0001+0800", "0001", "1989", "1970", "future", "2086", "+2359", "+9999"],
)
def test_an_impossible_or_implausible_date_is_dropped(when: datetime) -> None:
    assert plausible(when, NOW) is None


def test_the_bounds_themselves_are_kept() -> None:
    assert plausible(datetime(1990, 1, 1, tzinfo=UTC), NOW) is not None
    assert plausible(NOW + timedelta(hours=23), NOW) is not None  # a sender's clock a few hours fast
    assert plausible(datetime(2026, 5, 13, tzinfo=timezone(timedelta(hours=14))), NOW) is not None  # Kiribati
    assert plausible(None, NOW) is None


def test_now_defaults_to_the_current_time() -> None:
    assert plausible(datetime.now(UTC) + timedelta(days=2)) is None
    assert plausible(datetime.now(UTC) - timedelta(days=2)) is not None


def _dated(value: str) -> bytes:
    return raw_mail([("From", "a@b.cn"), ("Subject", "情况表"), ("Date", value)], "正文")


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 31 Dec 9999 23:59:59 -0100",
        "Fri, 31 Dec 9999 23:59:59 +0000",
        "Wed, 13 May 2020 09:30:00 +9999",
        "Wed, 13 May 2020 09:30:00 +2359",
        "Mon, 1 Jan 1900 00:00:00 +0800",
        "Thu, 1 Jan 1970 00:00:00 +0000",
        "Sat, 1 Jan 2101 00:00:00 +0800",
    ],
)
def test_an_impossible_date_header_gives_no_sent_at(value: str) -> None:
    content = mime.extract(_dated(value))
    assert content.sent_at is None
    assert content.subject == "情况表"  # the rest of the mail is read as usual
    assert mime.fallback_content(_dated(value)).sent_at is None


def test_a_plausible_date_header_is_kept_aware() -> None:
    content = mime.extract(_dated("Wed, 13 May 2020 09:30:00 +0800"))
    assert content.sent_at == datetime(2020, 5, 13, 9, 30, tzinfo=CST)
    utc_unknown = mime.extract(_dated("Wed, 13 May 2020 09:30:00 -0000"))
    assert utc_unknown.sent_at == datetime(2020, 5, 13, 9, 30, tzinfo=UTC)
