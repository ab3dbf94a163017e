"""The audit log: who changed what, when, with what note (failures closed, reparses, aliases, accounts)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import AuditEntry, utcnow
from store.records import AuditRow
from store.text import clean_text, clip

NOTE_KEPT = 5000


def _row(e: AuditEntry) -> AuditRow:
    return AuditRow(id=e.id, at=e.at, actor=e.actor, action=e.action, target_kind=e.target_kind,
                    target_id=e.target_id, note=e.note)


def record(session: Session, actor: str, action: str, target_kind: str, target_id: int | None, note: str = "") -> int:
    """Keep one entry (now); return its id."""
    entry = AuditEntry(at=utcnow(), actor=clip(actor, 100), action=clip(action, 40), target_kind=clip(target_kind, 40),
                       target_id=target_id, note=clip(clean_text(note), NOTE_KEPT))
    session.add(entry)
    session.flush()
    return entry.id


def entries_for(session: Session, target_kind: str, target_id: int) -> list[AuditRow]:
    """Every entry about one row, oldest first."""
    stmt = (select(AuditEntry).where(AuditEntry.target_kind == target_kind, AuditEntry.target_id == target_id)
            .order_by(AuditEntry.at, AuditEntry.id))
    return [_row(e) for e in session.scalars(stmt)]


def recent(session: Session, target_kind: str | None = None, limit: int = 50) -> list[AuditRow]:
    """The newest entries (of one kind of target, when given), newest first."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if target_kind is not None:
        stmt = stmt.where(AuditEntry.target_kind == target_kind)
    return [_row(e) for e in session.scalars(stmt)]
