"""Shared test setup: real servers as fixtures (Dovecot, aiosmtpd, PostgreSQL) from tests/fixtures/."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.database",
    "tests.fixtures.dovecot",
    "tests.fixtures.smtp",
]

REPO = Path(__file__).resolve().parent.parent
PUBLIC = REPO / "tests" / "data" / "public"


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    """samples/seed: the notice and its blank and example forms, as the bureau sent them."""
    path = REPO / "samples" / "seed"
    assert path.is_dir(), f"{path} is missing from the checkout"
    return path


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """tests/data/public: real mails and office files by other people and programs, unedited (see SOURCES.md)."""
    path = PUBLIC
    assert path.is_dir(), f"{path} is missing from the checkout"
    return path


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Whatever a test's service set up (handlers, levels of the root and the quietened loggers) is undone after it."""
    names = ("", "imapclient", "apscheduler.executors", "alembic", "sqlalchemy")
    saved = {name: (list(logging.getLogger(name).handlers), logging.getLogger(name).level) for name in names}
    yield
    for name, (handlers, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
