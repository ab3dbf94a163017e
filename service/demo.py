"""The demo: the bundled roster and sample mailbox through the whole pipeline into a folder of its own (var/demo/).

The demo keeps its database and its digest under <data dir>/demo, so it never touches the real store or the
real outbox; it loads samples/roster.xlsx first (so the digest shows 本月尚未报送 and 名称待确认), then imports the
mail, and hands back what it found and the settings that point any other `intake` command at its data.
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.settings import Settings, SettingsError
from digest.run import run_digest
from ingest.poll import import_paths
from roster.load import RosterImport, import_roster
from store import coverage, failures, queries
from store.db import forget_store, open_store
from store.records import FailureRow, MissingRow, ReportRow, UnmatchedName

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "mail"
ROSTER = SAMPLES.parent / "roster.xlsx"
DEMO_RECIPIENT = "szlgbjdjc@163.com"
DEMO_SENDER = "intake@localhost"


class DemoUnavailable(RuntimeError):
    """The demo cannot run: its sample mailbox is missing from this installation."""


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: its settings (its own folder and SQLite file), the counts, what it found, the digest."""

    settings: Settings
    mails: int
    counts: dict[str, int]
    reports: tuple[ReportRow, ...]
    failures: tuple[FailureRow, ...]
    digest_day: date | None
    digest_paths: tuple[Path, ...]
    env: tuple[tuple[str, str], ...]  # the variables that point another `intake` command at the demo's data
    commands: tuple[tuple[str, ...], ...]  # `intake` arguments that show the demo's data, with env set
    roster: RosterImport | None = None
    missing: tuple[MissingRow, ...] = ()  # roster entries without a report in the digest day's month
    unmatched: tuple[UnmatchedName, ...] = ()  # report names matched to no roster entry


def demo_settings(base: Settings) -> Settings:
    """The demo's own settings: <data dir>/demo, a SQLite file in it, no SMTP (its digest is only written)."""
    folder = base.data_dir / "demo"
    return dataclasses.replace(
        base, data_dir=folder, database_url="", smtp_host="",
        digest_to=base.digest_to or (DEMO_RECIPIENT,), digest_from=base.digest_from or DEMO_SENDER,
    )


def demo_env(base: Settings, settings: Settings) -> tuple[tuple[str, str], ...]:
    """INTAKE_DATA_DIR=<demo folder>, and INTAKE_DATABASE_URL=<its SQLite file> when the base settings name a
    database (a variable or the config file; the environment wins over the file)."""
    env = [("INTAKE_DATA_DIR", str(settings.data_dir))]
    if base.database_url:
        env.append(("INTAKE_DATABASE_URL", settings.effective_database_url))
    return tuple(env)


def _fresh_folder(folder: Path, keep: bool) -> None:
    try:
        if folder.exists() and not keep:
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"INTAKE_DATA_DIR: cannot prepare {folder} for the demo: {exc.strerror or exc}") from None


def run_demo(base: Settings, *, keep: bool = False, samples: Path = SAMPLES,
             roster: Path | None = ROSTER) -> DemoResult:
    """Load the roster (when there is one), import every .eml in samples into the demo's store, then write the
    newest day's digest to its outbox.

    Raises DemoUnavailable without samples, SettingsError when the demo folder cannot be made, and the store's
    StoreError when its database cannot open.
    """
    if not samples.is_dir():
        raise DemoUnavailable(f"{samples} is missing: the demo needs the bundled sample mailbox")
    settings = demo_settings(base)
    url = settings.effective_database_url
    forget_store(url)  # a store this process opened before is about to be replaced
    _fresh_folder(settings.data_dir, keep)
    factory = open_store(url)
    loaded = import_roster(factory, roster, replace=True) if roster is not None and roster.is_file() else None
    paths = sorted(samples.glob("*.eml"))
    summary = import_paths(settings, factory, paths)
    with factory() as session:
        reports = tuple(queries.current_reports(session, tz=settings.tz))
        open_failures = tuple(failures.list_failures(session))
        day = max(r.received_at.astimezone(settings.tz).date() for r in reports) if reports else None
        missing = tuple(coverage.missing(session, day.year, day.month, tz=settings.tz)) if day else ()
        unmatched = tuple(coverage.unmatched(session))
    written = run_digest(settings, factory, day, mode="dry-run", out=None, force=True).paths if day else ()
    return DemoResult(settings=settings, mails=len(paths), counts=summary.counts.as_dict(), reports=reports,
                      failures=open_failures, digest_day=day, digest_paths=written, env=demo_env(base, settings),
                      commands=follow_up(settings, open_failures, day if loaded else None), roster=loaded,
                      missing=missing, unmatched=unmatched)


def follow_up(settings: Settings, open_failures: tuple[FailureRow, ...],
              roster_month: date | None = None) -> tuple[tuple[str, ...], ...]:
    """The commands a new user runs next on the demo's data: its reports, its 待处理 items, one in detail, the
    roster's missing branches of the digest's month and its names to confirm, the 汇总表 and the status."""
    commands: list[tuple[str, ...]] = [("reports",), ("failures",)]
    if open_failures:
        commands.append(("failures", "show", str(open_failures[0].id)))
    if roster_month is not None:
        commands += [("roster", "missing", "--month", roster_month.strftime("%Y-%m")), ("roster", "unmatched")]
    commands += [("export", str(settings.data_dir / "汇总表.xlsx")), ("status", "--no-mailbox")]
    return tuple(commands)
