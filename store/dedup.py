"""Ladder steps 3-5: duplicate attachments, duplicate forms, and new report versus new version of a report.

"Same organisation" in step 5 is the roster identity when a roster is loaded (store.roster.match_entry: name,
alias or sender address), else the same spelling of the name.
"""

from __future__ import annotations

import hashlib
import json
import logging

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.forms import FormValues
from core.vocab import DuplicateKind, FormOutcome
from store.blobs import put_blob
from store.errors import NotFound, StoreError
from store.models import AttachmentRow, Duplicate, Message, Report, ReportVersion, utcnow
from store.records import AttachmentFields, AttachmentResult, FormResult
from store.roster import match_entry
from store.text import clean_text, match_key

log = logging.getLogger(__name__)

_RETRIES = 5


def normalise_text(value: str) -> str:
    """The comparison key of a text: NFKC, no format characters (zero-width, BOM, bidi), no white space."""
    return match_key(value)


def normalise_org(name: str) -> str:
    """The key two spellings of one organisation share: normalise_text, case-folded."""
    return match_key(name).casefold()


def _normalise_agenda(agenda: tuple[str, ...] | list[str]) -> list[str]:
    return [item for item in (normalise_text(a) for a in agenda) if item]


def form_fingerprint(form: FormValues) -> str:
    """sha256 of the normalised content: organisation, headcount, agenda, summary, contact person and phone."""
    headcount = str(form.headcount) if form.headcount is not None else normalise_text(form.headcount_text)
    content = [
        normalise_org(form.org_name),
        headcount,
        _normalise_agenda(form.agenda),
        normalise_text(form.summary),
        normalise_text(form.contact_person),
        normalise_text(form.contact_phone),
    ]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()


def record_attachment(
    session: Session, message_pk: int, a: AttachmentFields, detected_format: str = ""
) -> AttachmentResult:
    """Ladder step 3: store the file (always); the same sha256 from an earlier message makes it a duplicate."""
    digest = put_blob(session, a.data)
    if a.sha256 and a.sha256.lower() != digest:
        log.warning("attachment %r of message pk=%s: caller's sha256 differs from the bytes'; using the bytes'",
                    a.filename, message_pk)
    earlier = session.execute(
        select(AttachmentRow.id, AttachmentRow.message_id)
        .where(AttachmentRow.sha256 == digest, AttachmentRow.message_id != message_pk)
        .order_by(AttachmentRow.id)
        .limit(1)
    ).first()
    row = AttachmentRow(
        message_id=message_pk,
        filename=clean_text(a.filename),
        content_type=clean_text(a.content_type)[:255],
        detected_format=clean_text(detected_format)[:40],
        size=len(a.data),
        sha256=digest,
        origin=clean_text(a.origin),
        duplicate_of_id=None if earlier is None else earlier[0],
        recorded_at=utcnow(),
    )
    session.add(row)
    session.flush()
    if earlier is not None:
        session.add(Duplicate(kind=DuplicateKind.ATTACHMENT, message_id=message_pk, attachment_id=row.id,
                              of_attachment_id=earlier[0], of_message_id=earlier[1], recorded_at=utcnow()))
        session.flush()
        log.info("attachment %r of message pk=%s repeats attachment pk=%s", row.filename, message_pk, earlier[0])
    return AttachmentResult(attachment_pk=row.id, duplicate_of=None if earlier is None else earlier[0])


def _record_duplicate_form(
    session: Session, message_pk: int, attachment_pk: int | None, version: ReportVersion
) -> FormResult:
    """The form repeats a stored version: record that, and let the version keep the earliest receipt time of its
    content (a resend processed before the original, an import in another order), so `late` is judged by it."""
    session.add(Duplicate(kind=DuplicateKind.FORM, message_id=message_pk, attachment_id=attachment_pk,
                          of_version_id=version.id, of_message_id=version.message_id,
                          of_attachment_id=version.attachment_id, recorded_at=utcnow()))
    received_at = session.scalar(select(Message.received_at).where(Message.id == message_pk))
    if received_at is not None and received_at < version.received_at:
        log.info("report %s version %s: content first received %s (was %s)", version.report_id,
                 version.version_no, received_at.isoformat(), version.received_at.isoformat())
        version.received_at = received_at
    session.flush()
    log.info("form in message pk=%s repeats report %s version %s", message_pk, version.report_id, version.version_no)
    return FormResult(outcome=FormOutcome.DUPLICATE_FORM, report_pk=version.report_id, version_pk=version.id,
                      version_no=version.version_no)


def record_repeated_attachment(
    session: Session, message_pk: int, attachment_pk: int, earlier_attachment_pk: int
) -> list[FormResult]:
    """A file received before (same bytes) is the forms it gave then: each is recorded as a duplicate form here
    (the earliest receipt time kept, see _record_duplicate_form). Empty when no copy of the file gave a form
    (it failed then, say), so the caller records this copy's forms the usual way."""
    sha = session.scalar(select(AttachmentRow.sha256).where(AttachmentRow.id == earlier_attachment_pk))
    copies = select(AttachmentRow.id).where(AttachmentRow.sha256 == sha, AttachmentRow.message_id != message_pk)
    versions = session.scalars(
        select(ReportVersion).where(ReportVersion.attachment_id.in_(copies)).order_by(ReportVersion.id)
        .execution_options(populate_existing=True)
    ).all()
    return [_record_duplicate_form(session, message_pk, attachment_pk, v) for v in versions]


def _reports_with(session: Session, where: ColumnElement[bool]) -> list[tuple[Report, list[str] | None]]:
    """The reports matching where, each with its current version's agenda, most recently updated first."""
    rows = session.execute(
        select(Report, ReportVersion.agenda)
        .join(ReportVersion, (ReportVersion.report_id == Report.id)
              & (ReportVersion.version_no == Report.current_version))
        .where(where)
        .order_by(Report.updated_at.desc(), Report.id.desc())
        .execution_options(populate_existing=True)
    ).all()
    return [(report, agenda) for report, agenda in rows]


def _pick_report(
    session: Session, org_key: str, entry_id: int | None, agenda: list[str], correction: bool
) -> Report | None:
    """Ladder step 5: the report this form continues, or None for a new report (another activity).

    Same organisation means the same roster entry when the form matched one (entry_id), whatever spelling each
    form used, and also an unlinked report of the same spelling (org_key); without a match, the same spelling.
    A form without an organisation name continues nothing: two branches that both left 党组织名称 blank (and
    copied the notice's agenda) must not overwrite each other's report.
    """
    if not org_key:
        return None
    if entry_id is None:
        candidates = _reports_with(session, Report.org_key == org_key)
    else:  # two indexed reads: an OR of the two would scan every report
        candidates = sorted(
            _reports_with(session, Report.roster_entry_id == entry_id)
            + _reports_with(session, (Report.org_key == org_key) & Report.roster_entry_id.is_(None)),
            key=lambda row: (row[0].updated_at, row[0].id), reverse=True,
        )
    if not candidates:
        return None
    for report, current_agenda in candidates:
        if agenda and _normalise_agenda(current_agenda or []) == agenda:
            return report
    if correction:
        return candidates[0][0]
    return None


def _insert_version(
    session: Session, message_pk: int, attachment_pk: int | None, form: FormValues, correction: bool,
    fingerprint: str,
) -> FormResult:
    sent = session.execute(select(Message.received_at, Message.sender_address).where(Message.id == message_pk)).first()
    if sent is None:
        raise NotFound(f"no message with pk {message_pk}")
    received_at, sender_address = sent
    org_key = normalise_org(form.org_name)[:500]
    agenda = _normalise_agenda(form.agenda)
    entry_id = match_entry(session, form.org_name, sender_address)
    report = _pick_report(session, org_key, entry_id, agenda, correction)
    now = utcnow()
    if report is None:
        report = Report(org_key=org_key, roster_entry_id=entry_id, current_version=1, created_at=now, updated_at=now)
        session.add(report)
        session.flush()
        version_no, outcome = 1, FormOutcome.NEW_REPORT
    else:
        version_no, outcome = report.current_version + 1, FormOutcome.NEW_VERSION
        report.current_version = version_no
        report.updated_at = now
        if entry_id is not None:
            report.roster_entry_id = entry_id  # the report's entry, or (unlinked until now) the one this form names
    version = ReportVersion(
        report_id=report.id,
        version_no=version_no,
        fingerprint=fingerprint,
        org_name=clean_text(form.org_name).strip(),
        headcount=form.headcount,
        headcount_text=clean_text(form.headcount_text),
        agenda=[clean_text(a) for a in form.agenda],
        summary=clean_text(form.summary),
        contact_person=clean_text(form.contact_person),
        contact_phone=clean_text(form.contact_phone),
        activity_date=form.activity_date,
        warnings=[clean_text(w) for w in form.warnings],
        message_id=message_pk,
        attachment_id=attachment_pk,
        correction=correction,
        received_at=received_at,
        created_at=now,
    )
    session.add(version)
    session.flush()
    log.info("message pk=%s: %s, report %s version %s", message_pk, outcome, report.id, version_no)
    return FormResult(outcome=outcome, report_pk=report.id, version_pk=version.id, version_no=version_no)


def _version_with(session: Session, fingerprint: str) -> ReportVersion | None:
    return session.scalar(
        select(ReportVersion).where(ReportVersion.fingerprint == fingerprint).execution_options(populate_existing=True)
    )


def record_form(
    session: Session, message_pk: int, attachment_pk: int | None, form: FormValues, correction: bool
) -> FormResult:
    """Ladder steps 4-5: a duplicate of any stored version, a new version of a report, or a new report.

    The unique fingerprint makes a concurrent writer's identical form lose with IntegrityError inside a
    SAVEPOINT; it is then read back and recorded as a duplicate, the caller's transaction intact.
    """
    fingerprint = form_fingerprint(form)
    last_error: IntegrityError | None = None
    for _ in range(_RETRIES):
        earlier = _version_with(session, fingerprint)
        if earlier is not None:
            return _record_duplicate_form(session, message_pk, attachment_pk, earlier)
        try:
            with session.begin_nested():
                return _insert_version(session, message_pk, attachment_pk, form, correction, fingerprint)
        except IntegrityError as exc:
            last_error = exc
            log.info("message pk=%s: a concurrent writer won a report row (%s); reading again", message_pk,
                     type(exc.orig).__name__)
    detail = " ".join(str(last_error.orig).split()) if last_error is not None else ""
    raise StoreError(f"message pk={message_pk}: could not record the form after {_RETRIES} attempts: {detail}")
