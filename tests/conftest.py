"""Shared test setup: real servers as fixtures (Dovecot, aiosmtpd, PostgreSQL) from tests/fixtures/."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.database",
    "tests.fixtures.dovecot",
    "tests.fixtures.smtp",
]

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    """../shared/seed: the notice and the blank and example forms."""
    path = SHARED / "seed"
    assert path.is_dir(), f"{path} is missing: the tests need the project's shared/ folder beside the repo"
    return path


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """../shared/corpus-public: real mails and office files by other people and programs, unedited."""
    path = SHARED / "corpus-public"
    assert path.is_dir(), f"{path} is missing: the tests need the project's shared/ folder beside the repo"
    return path
