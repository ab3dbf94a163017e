"""Load a roster file into the store: read it, check every row (the file's and the store's rules), and only when
all are good add or update the entries by name, or with replace swap the whole roster, in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from roster.importfile import RosterFile, read_roster
from store.errors import RosterConflict
from store.records import RosterChange
from store.roster import check_roster, replace_roster, upsert_roster
from store.session import SessionFactory

log = logging.getLogger(__name__)


class RosterRejected(ValueError):
    """The file has bad rows; nothing was imported. problems: (row number, or 0 for the whole file; why)."""

    def __init__(self, path: Path, problems: list[tuple[int, str]]) -> None:
        self.path = path
        self.problems = tuple(sorted(problems))
        super().__init__(f"{path.name}: {len(self.problems)} bad rows")


@dataclass(frozen=True)
class RosterImport:
    """What importing a roster file did: where it read the roster, how many rows, and what changed."""

    path: Path
    sheet: str
    rows: int
    replace: bool
    change: RosterChange


def _rows_of(read: RosterFile, problems: list[tuple[int, str]] | tuple[tuple[int, str], ...]) -> list[tuple[int, str]]:
    """The store's problems (by index into the entries) as row numbers."""
    return [(read.entries[i][0] if 0 <= i < len(read.entries) else 0, message) for i, message in problems]


def import_roster(factory: SessionFactory, path: Path, *, replace: bool) -> RosterImport:
    """Read path and load it (RosterFileError when it is no roster, RosterRejected listing every bad row)."""
    read = read_roster(path)
    entries = [entry for _, entry in read.entries]
    problems = list(read.problems)
    if not entries and not problems:
        problems.append((0, f"工作表「{read.sheet}」中没有任何党组织"))
    with factory() as session:
        problems += _rows_of(read, check_roster(session, entries, replace=replace))
    if problems:
        raise RosterRejected(path, problems)
    try:
        with factory.begin() as session:
            change = (replace_roster if replace else upsert_roster)(session, entries)
    except RosterConflict as exc:  # the roster changed between the check and the write
        raise RosterRejected(path, _rows_of(read, exc.problems)) from None
    log.info("roster %s (sheet %s, %d rows) imported: %s", path, read.sheet, len(entries), change)
    return RosterImport(path=path, sheet=read.sheet, rows=len(entries), replace=replace, change=change)
