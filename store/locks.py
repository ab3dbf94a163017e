"""Named locks, one process at a time per name: a mailbox's poll (poll:<account>), a day's digest (digest:<day>),
sending receipts (receipts).

PostgreSQL: pg_try_advisory_lock on a dedicated connection, held for the block (the server drops it when a
holder dies). SQLite: a row in `locks` with an owner (host:pid:token) and a lease expiry, refreshed by a
background thread while held and deleted on exit; a crashed holder's lease runs out, and a holder on this host
whose process is gone is replaced at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.dialects import sqlite

from store.models import Lock, utcnow

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 300.0


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock from a lock name."""
    return int.from_bytes(hashlib.sha256(f"szlgb-intake:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def _pg_lock(engine: Engine, name: str) -> Iterator[bool]:
    key = advisory_key(name)
    with engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


def _holder_is_dead(owner: str) -> bool:
    """True when the owner ran on this host and its process is gone (killed, crashed): no need to wait."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _try_lease(engine: Engine, name: str, owner: str, lease: timedelta) -> bool:
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(delete(Lock).where(Lock.name == name, Lock.expires_at < now))
        holder = conn.scalar(select(Lock.owner).where(Lock.name == name))
        if holder is not None and _holder_is_dead(holder):
            log.warning("lock %s was held by %s, which is no longer running; taking it over", name, holder)
            conn.execute(delete(Lock).where(Lock.name == name, Lock.owner == holder))
        conn.execute(sqlite.insert(Lock).values(name=name, owner=owner, expires_at=now + lease)
                     .on_conflict_do_nothing(index_elements=["name"]))
        holder = conn.scalar(select(Lock.owner).where(Lock.name == name))
    return holder == owner


def _refresh(engine: Engine, name: str, owner: str, lease: timedelta, stop: threading.Event) -> None:
    interval = max(lease.total_seconds() / 3, 0.05)
    while not stop.wait(interval):
        try:
            with engine.begin() as conn:
                conn.execute(update(Lock).where(Lock.name == name, Lock.owner == owner)
                             .values(expires_at=utcnow() + lease))
        except Exception:  # keep trying: a missed refresh only shortens the lease
            log.warning("could not refresh the lease of lock %s", name, exc_info=True)


@contextmanager
def _sqlite_lock(engine: Engine, name: str, lease_seconds: float) -> Iterator[bool]:
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    lease = timedelta(seconds=lease_seconds)
    got = _try_lease(engine, name, owner, lease)
    if not got:
        yield False
        return
    stop = threading.Event()
    refresher = threading.Thread(target=_refresh, args=(engine, name, owner, lease, stop),
                                 name=f"lease:{name}", daemon=True)
    refresher.start()
    try:
        yield True
    finally:
        stop.set()
        refresher.join()
        with engine.begin() as conn:
            conn.execute(delete(Lock).where(Lock.name == name, Lock.owner == owner))


@contextmanager
def named_lock(engine: Engine, name: str, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> Iterator[bool]:
    """Yield True if this process now holds the lock called name, False if another process holds it (never waits)."""
    name = name[:500]
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, name) as got:
            log.debug("lock %s %s", name, "taken" if got else "busy")
            yield got
    else:
        with _sqlite_lock(engine, name, lease_seconds) as got:
            log.debug("lock %s %s", name, "taken" if got else "busy")
            yield got
