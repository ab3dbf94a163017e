"""The schema: migrations bring an empty SQLite or PostgreSQL database to head and match the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, open_store, upgrade
from store.models import Base
from tests.fixtures.database import create_pg_database, drop_pg_database

TABLES = {
    "alembic_version", "attachments", "blobs", "digest_runs", "duplicates", "failures", "locks", "messages",
    "poll_runs", "report_versions", "reports", "sync_states", "receipts", "roster_entries", "roster_aliases",
    "roster_emails", "users", "web_sessions", "audit_log",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'dir' / 'intake.sqlite3'}"
    else:
        url = create_pg_database("intake_migtest")
        yield url
        drop_pg_database(url)


def test_postgresql_fixture_talks_to_the_real_server(pg_database: str) -> None:
    engine = make_engine(pg_database)
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version()")).scalar_one()
    engine.dispose()
    assert version.startswith("PostgreSQL ")


def test_upgrade_brings_an_empty_database_to_head_with_every_table(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    assert inspect(engine).get_table_names() == []
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == TABLES
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0006"
    engine.dispose()


def test_migrated_schema_matches_the_models_exactly(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_twice_is_harmless(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    upgrade(engine)
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == TABLES
    engine.dispose()


def test_sqlite_engine_turns_on_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'x.sqlite3'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() >= 1000
    engine.dispose()
    assert (tmp_path / "new" / "x.sqlite3").exists()


def test_session_factory_gives_sessions_on_a_migrated_database(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        assert session.execute(text("SELECT count(*) FROM messages")).scalar_one() == 0


def test_open_store_is_cached_per_url(db_url: str) -> None:
    assert open_store(db_url) is open_store(db_url)
