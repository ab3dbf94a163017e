"""Engines, sessions and the schema: connect to SQLite or PostgreSQL and bring the schema to head."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from store.errors import StoreMisconfigured, StoreUnavailable

if TYPE_CHECKING:  # Alembic is imported only when a migration has to run: it costs ~0.1 s at every start
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_MIGRATION_LOCK_KEY = int.from_bytes(hashlib.sha256(b"szlgb-intake:migrations").digest()[:8], "big", signed=True)

_stores: dict[str, sessionmaker[Session]] = {}
_stores_lock = threading.Lock()


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, issue BEGIN: SAVEPOINTs then work as documented.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


READ_ONLY = "intake_read_only"  # execution option of reader_of's sessions


def _on_sqlite_begin(conn: Any) -> None:
    # IMMEDIATE: take the write lock at BEGIN, so two writers wait (busy_timeout) instead of failing later.
    # A reader (reader_of) begins deferred: WAL lets it read its snapshot while a writer holds the lock.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for a SQLite file (created with its folder; WAL, foreign keys) or postgresql+psycopg://.

    Raises StoreMisconfigured (one line) for a URL that cannot work: malformed, an unknown dialect, a driver
    that is not installed, or a SQLite folder that cannot be created.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreMisconfigured(f"not a database URL: {url!r} (e.g. sqlite:///var/intake.sqlite3)") from None
    try:
        return _engine_for(url, parsed)
    except NoSuchModuleError:
        raise StoreMisconfigured(
            f"unsupported database {parsed.drivername!r}: use sqlite:/// or postgresql+psycopg://"
        ) from None
    except ImportError as exc:
        raise StoreMisconfigured(
            f"the driver for {parsed.drivername!r} is not installed ({exc.name or exc}); "
            "for PostgreSQL: pip install -e '.[postgres]'"
        ) from None


def _engine_for(url: str, parsed: URL) -> Engine:
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreMisconfigured(
                    f"cannot create the folder {folder} for the database: {exc.strerror or exc}", setting="folder"
                ) from None
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


def alembic_config() -> Config:
    """Alembic settings built in code: the migrations shipped inside the package, no alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (head); safe when several processes start at once."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    log.debug("schema at head on %s", engine.url.render_as_string(hide_password=True))


_REVISION = re.compile(r"""^revision\s*(?::[^=\n]*)?=\s*["']([\w.-]+)["']\s*$""", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M)


@lru_cache(maxsize=1)
def shipped_head() -> str | None:
    """The head revision of the migrations shipped in migrations/versions, read from the scripts' text.

    None when the scripts do not plainly show exactly one head: then the caller runs Alembic, which knows.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        if path.name == "__init__.py":
            continue
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision[1])
        parents.update(re.findall(r"""["']([\w.-]+)["']""", down[1]))  # None, "0001" or ("0002", "0003")
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """Whether the database's schema is at the shipped head already: one cheap query, Alembic not loaded.

    A database that cannot be reached raises DBAPIError as upgrade() would.
    """
    head = shipped_head()
    if head is None:
        return False
    with engine.connect() as conn:
        try:
            stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except DBAPIError:  # no such table: a new database, which upgrade() creates
            return False
    return stored == [head]


def _bring_to_head(engine: Engine, where: str) -> None:
    """upgrade() unless at_head() shows there is nothing to do; Alembic is imported only when it has work."""
    if at_head(engine):
        return
    from alembic.util.exc import CommandError

    try:
        upgrade(engine)
    except CommandError as exc:  # e.g. a schema written by a newer version of this program
        raise StoreUnavailable(f"cannot bring the database {where} to this version's schema: {exc}") from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions the caller owns: store functions flush but never commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def reader_of(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions on the same engine for reading only: on SQLite they do not take the write lock, so a page can be
    read while the poll holds it (a message's transaction may last as long as a LibreOffice conversion). Writing
    in one of these sessions is a mistake; on PostgreSQL they are ordinary sessions."""
    bind = factory.kw["bind"]
    return make_session_factory(bind.execution_options(**{READ_ONLY: True}))


def open_store(url: str) -> sessionmaker[Session]:
    """Engine, schema at head, session factory: once per URL in this process.

    Raises store.errors.StoreUnavailable (one line, password hidden) when the database cannot be reached.
    """
    with _stores_lock:
        factory = _stores.get(url)
        if factory is None:
            engine = make_engine(url)
            where = make_url(url).render_as_string(hide_password=True)
            try:
                _bring_to_head(engine, where)
            except DBAPIError as exc:  # unreachable, refused, or a file that is not a SQLite database
                engine.dispose()
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
                raise StoreUnavailable(f"cannot open the database {where}: {reason}") from exc
            except StoreUnavailable:
                engine.dispose()
                raise
            factory = make_session_factory(engine)
            _stores[url] = factory
        return factory


def forget_store(url: str) -> None:
    """Drop the cached factory for url and dispose of its engine (tests, or a database that was replaced)."""
    with _stores_lock:
        factory = _stores.pop(url, None)
    if factory is not None and isinstance(factory.kw.get("bind"), Engine):
        factory.kw["bind"].dispose()
