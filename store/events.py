"""What happened around the reports: poll runs and digest runs."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.vocab import DigestMode
from store.blobs import put_blob
from store.models import DigestRunRecord, PollRun
from store.records import DigestRun, PollRecord
from store.text import clean_text, clip

log = logging.getLogger(__name__)

def record_poll(
    session: Session,
    account: str,
    folder: str,
    started_at: datetime,
    finished_at: datetime,
    ok: bool,
    error: str,
    counts: Mapping[str, int],
) -> None:
    """Keep one poll of one folder: when, whether it worked (the error line if not), and its counts."""
    session.add(PollRun(account=clip(account, 320), folder=clip(folder, 1000), started_at=started_at,
                        finished_at=finished_at, ok=ok, error=clean_text(error),
                        counts={clean_text(k): int(v) for k, v in counts.items()}))
    session.flush()


def last_polls(session: Session, limit: int = 20, account: str | None = None) -> list[PollRecord]:
    """The most recent poll runs, newest first (optionally of one account)."""
    stmt = select(PollRun).order_by(PollRun.finished_at.desc(), PollRun.id.desc()).limit(limit)
    if account is not None:
        stmt = stmt.where(PollRun.account == account)
    return [
        PollRecord(id=r.id, account=r.account, folder=r.folder, started_at=r.started_at, finished_at=r.finished_at,
                   ok=r.ok, error=r.error, counts=tuple(sorted((r.counts or {}).items())))
        for r in session.scalars(stmt)
    ]


def digest_done(session: Session, day: date) -> bool:
    """Is this day's digest done: sent over SMTP, or written to the outbox as the day's digest? A dry run never is."""
    done_modes = (DigestMode.SEND.value, DigestMode.OUTBOX.value)
    found = session.scalar(
        select(DigestRunRecord.id).where(DigestRunRecord.day == day, DigestRunRecord.mode.in_(done_modes)).limit(1)
    )
    return found is not None


def record_digest_run(
    session: Session, day: date, sent_at: datetime, recipients: Sequence[str], message_id: str, mode: str,
    html: str = "",
) -> None:
    """Keep one digest built for a day: when, to whom, its Message-ID, mode ("send" or "dry-run") and its HTML
    as sent (a blob; the web console shows it again)."""
    html_sha256 = put_blob(session, html.encode("utf-8")) if html else None
    session.add(DigestRunRecord(day=day, sent_at=sent_at, recipients=[clean_text(r) for r in recipients],
                                message_id=clip(message_id, 1000), mode=clip(mode, 20), html_sha256=html_sha256))
    session.flush()
    log.info("digest for %s recorded (%s, Message-ID %s)", day.isoformat(), mode, message_id)


def _to_run(row: DigestRunRecord) -> DigestRun:
    return DigestRun(id=row.id, day=row.day, sent_at=row.sent_at, recipients=tuple(row.recipients or ()),
                     message_id=row.message_id, mode=row.mode)


def last_done_digest(session: Session) -> DigestRun | None:
    """The most recent digest that counts as the day's (sent over SMTP, or written to the outbox as the day's)."""
    stmt = (select(DigestRunRecord).where(DigestRunRecord.mode.in_((DigestMode.SEND.value, DigestMode.OUTBOX.value)))
            .order_by(DigestRunRecord.sent_at.desc(), DigestRunRecord.id.desc()).limit(1))
    row = session.scalar(stmt)
    return None if row is None else _to_run(row)


def last_digest_run(session: Session, mode: str | None = "send") -> DigestRun | None:
    """The most recent digest run (by default the last one actually sent; mode=None for any)."""
    stmt = select(DigestRunRecord).order_by(DigestRunRecord.sent_at.desc(), DigestRunRecord.id.desc()).limit(1)
    if mode is not None:
        stmt = stmt.where(DigestRunRecord.mode == mode)
    row = session.scalar(stmt)
    return None if row is None else _to_run(row)
