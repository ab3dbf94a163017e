"""Content-addressed bytes: put a raw message or attachment once, keyed by its sha256, and get it back."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import Blob, utcnow


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_blob(session: Session, data: bytes) -> str:
    """Store data unless a blob with the same sha256 exists (also against a concurrent writer); return the hash."""
    digest = sha256_of(data)
    if session.scalar(select(Blob.sha256).where(Blob.sha256 == digest)) is not None:
        return digest
    values = {"sha256": digest, "size": len(data), "data": data, "created_at": utcnow()}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(Blob).values(**values).on_conflict_do_nothing(index_elements=["sha256"]))
    elif dialect == "sqlite":
        session.execute(sqlite.insert(Blob).values(**values).on_conflict_do_nothing(index_elements=["sha256"]))
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        session.add(Blob(**values))
        session.flush()
    return digest


def get_blob(session: Session, digest: str) -> bytes:
    """The bytes stored under digest (KeyError if none)."""
    data = session.scalar(select(Blob.data).where(Blob.sha256 == digest))
    if data is None:
        raise KeyError(digest)
    return bytes(data)
