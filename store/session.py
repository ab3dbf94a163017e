"""The session types the store's callers hold, so that only store/ imports SQLAlchemy."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

SessionFactory = sessionmaker[Session]

__all__ = ["Engine", "Session", "SessionFactory", "engine_of"]


def engine_of(factory: SessionFactory) -> Engine:
    """The engine a session factory is bound to (for locks that need their own connection)."""
    bind = factory.kw["bind"]
    assert isinstance(bind, Engine)
    return bind
