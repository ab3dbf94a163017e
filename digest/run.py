"""Build one day's digest from the store and send it (or write it to the outbox), exactly once a day."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from core.settings import Settings
from core.vocab import DigestMode
from digest.compose import FALLBACK_FROM, compose_digest
from digest.render import STALE_POLL_AFTER, render_digest, xlsx_filename
from digest.xlsx import summary_xlsx_bytes, write_summary_xlsx
from mailout.compose import address_of
from mailout.outbox import write_message
from mailout.send import SendError, send
from store import locks
from store.coverage import coverage
from store.events import digest_done, last_digest_run, record_digest_run
from store.queries import current_reports, digest_facts
from store.roster import has_roster
from store.session import SessionFactory, engine_of

log = logging.getLogger(__name__)

MAX_CATCH_UP_DAYS = 14


@contextmanager
def digest_lock(session_factory: SessionFactory, day: date) -> Iterator[bool]:
    """One process at a time builds a day's digest: yield True when this one holds the day, False when busy.

    The store's named lock (PostgreSQL advisory lock / SQLite lease).
    """
    with locks.named_lock(engine_of(session_factory), f"digest:{day.isoformat()}") as got:
        yield got


@dataclass(frozen=True)
class DigestOutcome:
    """What one digest run did: sent over SMTP, written to a folder, or skipped.

    skipped_reason: "" (not skipped), "already_sent" (done before; --force to repeat) or "busy" (another process
    holds this day's lock and is building it now).
    """

    day: date
    mode: DigestMode
    sent: bool
    skipped_reason: str
    recipients: tuple[str, ...]
    message_id: str
    paths: tuple[Path, ...]
    subject: str = ""

    @property
    def done(self) -> bool:
        """The day's digest exists now (sent, or written to the outbox), by this run or an earlier one.

        Never after a dry run: its files are a preview, not the day's digest."""
        if self.mode is DigestMode.DRY_RUN:
            return False
        return self.sent or bool(self.paths) or self.skipped_reason == "already_sent"


def stale_after(settings: Settings) -> timedelta:
    """How long without a successful poll counts as a problem: two hours, or three poll intervals if longer."""
    return max(STALE_POLL_AFTER, timedelta(minutes=3 * settings.poll_minutes))


def default_mode(settings: Settings) -> DigestMode:
    """send when an SMTP host is set, else the outbox."""
    return DigestMode.SEND if settings.smtp_host else DigestMode.OUTBOX


def outbox_dir(settings: Settings, out: Path | None = None) -> Path:
    return out if out is not None else settings.data_dir / "outbox"


def outbox_stem(day: date) -> str:
    """The digest's file names in a folder: digest-YYYY-MM-DD.eml and .html."""
    return f"digest-{day.isoformat()}"


def check_envelope(settings: Settings) -> None:
    """SendError naming INTAKE_DIGEST_FROM or INTAKE_DIGEST_TO when the digest has no sender or nobody to go to."""
    if not address_of(settings.digest_from):
        raise SendError("INTAKE_DIGEST_FROM is not set to an e-mail address; the digest cannot be sent")
    if not any(address_of(r) for r in settings.digest_to):
        raise SendError("INTAKE_DIGEST_TO is not set; the digest has nobody to go to")


def run_digest(
    settings: Settings,
    session_factory: SessionFactory,
    day: date,
    *,
    mode: DigestMode | str | None,
    out: Path | None,
    force: bool,
    now: datetime | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> DigestOutcome:
    """Build and deliver the digest for day.

    mode: DigestMode.SEND (SMTP), OUTBOX (write .eml/.html, recorded as the day's digest), DRY_RUN (write to
    out, never recorded, never skipped, never marks the day done), or None for the default (send when
    INTAKE_SMTP_HOST is set, else outbox). A day already done (store.events.digest_done) is skipped unless
    force. The digest run is recorded and committed once, after delivery.
    Raises SendError when SMTP did not take the mail (nothing is recorded then, so it is retried).
    """
    tz = settings.tz
    moment = (now or datetime.now(tz)).astimezone(tz)
    try:
        chosen = DigestMode(mode) if mode else default_mode(settings)
    except ValueError:
        raise ValueError(f"unknown digest mode {mode!r}; expected one of {', '.join(DigestMode)}") from None
    if chosen is DigestMode.SEND:
        if not settings.smtp_host:
            raise SendError("INTAKE_SMTP_HOST is not set: use the outbox (no --send) or --dry-run")
        check_envelope(settings)
    out_dir = outbox_dir(settings, out)
    if chosen is DigestMode.DRY_RUN:
        return _build_and_deliver(settings, session_factory, day, chosen, out_dir, force, moment, ssl_context)
    # One process at a time per day, so the check-send-record sequence cannot interleave with a scheduler
    # and a CLI run sending the same day.
    with digest_lock(session_factory, day) as got:
        if not got:
            log.warning("digest for %s is being built by another process; skipping", day)
            return DigestOutcome(day, chosen, False, "busy", (), "", ())
        return _build_and_deliver(settings, session_factory, day, chosen, out_dir, force, moment, ssl_context)


def _build_and_deliver(
    settings: Settings,
    session_factory: SessionFactory,
    day: date,
    chosen: DigestMode,
    out_dir: Path,
    force: bool,
    moment: datetime,
    ssl_context: ssl.SSLContext | None,
) -> DigestOutcome:
    tz = settings.tz
    with session_factory() as session:
        if chosen is not DigestMode.DRY_RUN and not force and digest_done(session, day):
            log.info("digest for %s already done; skipping (use --force to send again)", day)
            return DigestOutcome(day, chosen, False, "already_sent", (), "", ())
        facts = digest_facts(session, day, tz, settings.season_months)
        rows = facts.all_current_reports or tuple(current_reports(session))

    rendered = render_digest(facts, tz, moment, len(rows), stale_after(settings), web_url=settings.web_url)
    message = compose_digest(
        rendered,
        sender=settings.digest_from or FALLBACK_FROM,
        recipients=settings.digest_to,
        xlsx=summary_xlsx_bytes(rows, tz, facts.roster.coverage if facts.roster is not None else None),
        xlsx_name=xlsx_filename(day),
        now=moment,
    )
    message_id = str(message["Message-ID"])
    paths: tuple[Path, ...] = ()
    if chosen is DigestMode.SEND:
        result = send(settings, message, ssl_context=ssl_context)
        recipients = result.accepted
    else:
        paths = write_message(message, out_dir, outbox_stem(day))
        recipients = tuple(settings.digest_to)

    if chosen is not DigestMode.DRY_RUN:
        with session_factory() as session:
            record_digest_run(session, day, moment, recipients, message_id, chosen, html=rendered.html)
            session.commit()
    log.info("digest %s for %s done (%s, %d recipients)", message_id, day, chosen, len(recipients))
    return DigestOutcome(day, chosen, chosen is DigestMode.SEND, "", recipients, message_id, paths, rendered.subject)


def latest_due_day(settings: Settings, now: datetime) -> date:
    """Yesterday once today's INTAKE_DIGEST_TIME has passed, else the day before yesterday."""
    local = now.astimezone(settings.tz)
    back = 1 if local.time() >= settings.digest_time else 2
    return local.date() - timedelta(days=back)


def due_days(settings: Settings, session_factory: SessionFactory, now: datetime) -> list[date]:
    """Days whose digest should go out now, oldest first: the latest due day plus any missed since the last run.

    Catch-up reaches back at most MAX_CATCH_UP_DAYS days; days already done (digest_done) are left out.
    """
    latest = latest_due_day(settings, now)
    earliest = latest - timedelta(days=MAX_CATCH_UP_DAYS - 1)
    with session_factory() as session:
        last = last_digest_run(session, mode=None)
        start = latest if last is None else max(last.day + timedelta(days=1), earliest)
        candidates = [start + timedelta(days=i) for i in range((latest - start).days + 1)]
        if last is not None and last.day >= latest:
            candidates = [latest]  # e.g. an older day was forced again later: still check the latest
        return [d for d in candidates if not digest_done(session, d)]


def export_summary(settings: Settings, session_factory: SessionFactory, path: Path, since: date | None = None) -> int:
    """Write the 汇总表 of current reports (received on or after since, when given) to path; return the row count.

    With a roster, its sheet 报送情况 covers the season of the newest report's year, up to today."""
    with session_factory() as session:
        rows = current_reports(session, since=since, tz=settings.tz)
        table = None
        if has_roster(session):
            table = coverage(session, None, settings.season_months, today=datetime.now(settings.tz).date(),
                             tz=settings.tz)
    write_summary_xlsx(rows, settings.tz, path, table)
    log.info("汇总表 with %d reports written to %s", len(rows), path)
    return len(rows)


def summary_bytes(settings: Settings, session_factory: SessionFactory, since: date | None = None) -> tuple[bytes, int]:
    """The 汇总表 of current reports as .xlsx bytes (the web console's download) and its row count."""
    with session_factory() as session:
        rows = current_reports(session, since=since, tz=settings.tz)
    return summary_xlsx_bytes(rows, settings.tz), len(rows)
