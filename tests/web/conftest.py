"""Console test fixtures: a SQLite store in a temp folder, cheap argon2 parameters, a clock the tests move."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from core.settings import Settings
from service import accounts
from store.db import forget_store, open_store
from tests.web.helpers import Clock, Site


@pytest.fixture(autouse=True)
def cheap_hashes() -> Iterator[None]:
    """argon2id with tiny costs: the same code path, a millisecond a hash instead of a fifth of a second."""
    before = accounts.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    yield
    accounts.use_hasher(before)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    settings = Settings(data_dir=tmp_path / "var", timezone="Asia/Shanghai")
    url = settings.effective_database_url
    yield Site(settings, open_store(url), Clock())
    forget_store(url)
