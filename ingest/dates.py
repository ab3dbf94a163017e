"""Decides whether a date from outside (a Date header, an IMAP INTERNALDATE, a file's mtime) can be believed.

One rule for every source, so the pipeline can fall back to the next source (INTERNALDATE, then Date, then the
time of receipt) instead of storing a value the database or datetime arithmetic cannot hold:

- a naive datetime is taken as UTC (RFC 5322 "-0000": the zone is unknown);
- its UTC offset must be a real one, at most 14 hours either way (UTC-12 … UTC+14); "+9999" or "+2359" is not;
- it must convert to UTC without OverflowError/ValueError (year 9999 at -0100, year 1 at +0800 do not);
- it must lie between 1990-01-01 UTC and one day after now (a sender's clock may be a few hours fast; e-mail
  to this bureau did not exist before 1990, and a mis-parsed two-digit year or a 32-bit wrap lands outside).

Anything else is dropped (None), never clamped: a clamped date would be a silent wrong value.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
MAX_OFFSET = timedelta(hours=14)


def plausible(when: datetime | None, now: datetime | None = None) -> datetime | None:
    """when as an aware datetime (a plain datetime.timezone offset) if a real mail could carry it, else None.

    now (default: the current time; a naive now is taken as UTC) sets the future bound. Never raises.
    """
    if when is None:
        return None
    try:
        offset = when.utcoffset()
        if offset is None:
            offset = timedelta(0)
        if abs(offset) > MAX_OFFSET:
            return None
        aware = when.replace(tzinfo=timezone(offset) if offset else UTC)
        utc = aware.astimezone(UTC)
        now = now or datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        if utc < EARLIEST or utc > now + FUTURE_SLACK:
            return None
    except (OverflowError, ValueError, TypeError, ArithmeticError):
        return None
    return aware
