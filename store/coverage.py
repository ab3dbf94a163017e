"""Read the roster against the reports: which entry reported in which month of the season, who has not reported in
a month, and which report names match no entry (with the entries they resemble, for staff to confirm).

A report counts once, for the month of its activity date (of its current version), or of the day it was received
(local time) when no activity date was read. Only reports linked to an entry count (store.roster keeps the links).
Without a roster every list here is empty. Functions take a Session and never write.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import QueryableAttribute, Session

from store.models import Report, ReportVersion, RosterAlias, RosterEntry
from store.queries import DEFAULT_TZ, day_bounds, is_late, late_condition
from store.records import Coverage, CoverageRow, MissingRow, RosterFacts, UnmatchedName
from store.roster import group_order, has_roster, roster_key

CANDIDATES = 3  # entries suggested per unmatched name
SIMILAR_CUTOFF = 60.0  # rapidfuzz ratio (0-100) of the names' distinctive parts below which an entry is no candidate
# Words nearly every branch's name has: compared with them, 财政局离退休干部党支部 and 水利局离退休干部党支部 look 73 %
# alike; without them (财政局 / 水利局), 33 %. Longest first, so 离退休干部 goes before 干部.
GENERIC_WORDS = ("中国共产党", "中共", "离退休干部", "离退休", "退休干部", "离休干部", "老干部", "离休", "退休", "干部",
                 "党总支部", "党总支", "总支部", "党支部", "支部", "党委员会", "委员会", "党委", "党组织")
_GENERIC = re.compile("|".join(sorted(GENERIC_WORDS, key=len, reverse=True)))


def month_text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def season_months(year: int, season: tuple[int, int], today: date) -> tuple[str, ...]:
    """The season's months of year as YYYY-MM, up to today's month when year is today's (none for a later year)."""
    first, last = season
    if year > today.year:
        return ()
    if year == today.year:
        last = min(last, today.month)
    return tuple(month_text(year, m) for m in range(first, last + 1))


@dataclass(frozen=True)
class _Counted:
    """Reports per entry and month (YYYY-MM), and the late ones among them (months without any left out)."""

    reports: dict[int, dict[str, int]]
    late: dict[int, dict[str, int]]
    latest_month: str  # the newest month any linked or unlinked report counts for; "" when none


def _add(table: dict[int, dict[str, int]], entry_id: int, month: str, n: int) -> None:
    months = table.setdefault(entry_id, {})
    months[month] = months.get(month, 0) + n


def _counted(session: Session, tz: ZoneInfo, before: datetime | None) -> _Counted:
    """Count every report's current version, or with before, its newest version received before then (what the
    roster looked like at that moment, for a digest sent late)."""
    where: list[ColumnElement[bool]] = []
    if before is None:
        where.append(ReportVersion.version_no == Report.current_version)
    else:
        where.append(ReportVersion.received_at < before)
    stmt = (
        select(ReportVersion.report_id, ReportVersion.version_no, ReportVersion.activity_date,
               ReportVersion.received_at, Report.roster_entry_id)
        .join(Report, Report.id == ReportVersion.report_id)
        .where(*where)
    )
    newest: dict[int, tuple[int, date | None, datetime, int | None]] = {}
    for report_id, version_no, activity, received_at, entry_id in session.execute(stmt):
        if report_id not in newest or version_no > newest[report_id][0]:
            newest[report_id] = (version_no, activity, received_at, entry_id)
    reports: dict[int, dict[str, int]] = {}
    late: dict[int, dict[str, int]] = {}
    latest = ""
    for _, activity, received_at, entry_id in newest.values():
        month = report_month(activity, received_at, tz)
        latest = max(latest, month)
        if entry_id is not None:
            _add(reports, entry_id, month, 1)
            if is_late(received_at, activity, tz):
                _add(late, entry_id, month, 1)
    return _Counted(reports, late, latest)


def _bucket(column: QueryableAttribute[Any], bounds: list[Any]) -> ColumnElement[int]:
    """Which of consecutive months (0, 1, …) a value falls in, given where each month after the first starts."""
    if not bounds:
        return literal(0)
    return case(*((column < bound, i) for i, bound in enumerate(bounds)), else_=len(bounds))


def _counted_now(session: Session, tz: ZoneInfo, months: tuple[str, ...]) -> _Counted:
    """What _counted(before=None) says about these consecutive months (YYYY-MM), the dated reports added up in the
    database: a row per entry and month comes back rather than one per report (the console's pages, with 20,000
    reports). The same rules: a current version's activity month, else the local month it was received (those
    few are read one by one); 逾期 as is_late says."""
    reports: dict[int, dict[str, int]] = {}
    late: dict[int, dict[str, int]] = {}
    if not months:
        return _Counted(reports, late, "")
    firsts = [date(int(m[:4]), int(m[5:7]), 1) for m in months]
    after = date(firsts[-1].year + (firsts[-1].month == 12), firsts[-1].month % 12 + 1, 1)
    current = (Report.id == ReportVersion.report_id) & (ReportVersion.version_no == Report.current_version)
    is_late_now = late_condition(session, tz, (firsts[0], after))
    dated = (
        select(Report.roster_entry_id.label("entry"), _bucket(ReportVersion.activity_date, firsts[1:]).label("month"),
               case((is_late_now, 1), else_=0).label("late"))
        .select_from(ReportVersion).join(Report, current)
        .where(Report.roster_entry_id.is_not(None), ReportVersion.activity_date >= firsts[0],
               ReportVersion.activity_date < after)
    ).subquery()  # grouped outside: the CASE's parameters make it no GROUP BY key in PostgreSQL
    stmt = select(dated.c.entry, dated.c.month, func.count(), func.sum(dated.c.late)).group_by(dated.c.entry,
                                                                                               dated.c.month)
    for entry_id, index, n, n_late in session.connection().execute(stmt).all():  # fetchall: not row by row
        got = reports.get(entry_id)
        if got is None:
            got = reports[entry_id] = {}
        got[months[index]] = n  # one row per entry and month
        if n_late:
            _add(late, entry_id, months[index], n_late)
    undated = (select(Report.roster_entry_id, ReportVersion.received_at).select_from(ReportVersion)
               .join(Report, current)
               .where(Report.roster_entry_id.is_not(None), ReportVersion.activity_date.is_(None)))
    shown = set(months)
    for entry_id, received_at in session.connection().execute(undated).all():
        month = report_month(None, received_at, tz)
        if month in shown:
            _add(reports, cast(int, entry_id), month, 1)  # not None: the WHERE says so
    return _Counted(reports, late, "")


def report_month(activity: date | None, received_at: datetime, tz: ZoneInfo = DEFAULT_TZ) -> str:
    """The month (YYYY-MM) a report counts for: its activity date's, else the local day it was received."""
    if activity is not None:
        return month_text(activity.year, activity.month)
    local = received_at.astimezone(tz)
    return month_text(local.year, local.month)


class _Entry(NamedTuple):
    id: int
    name: str
    group_name: str
    contact_person: str
    contact_phone: str


def _entries(session: Session) -> list[_Entry]:
    """The roster's entries by group (none last), then name; only the columns read here (2,000 ORM objects
    cost more than the counting)."""
    stmt = select(RosterEntry.id, RosterEntry.name, RosterEntry.group_name, RosterEntry.contact_person,
                  RosterEntry.contact_phone)
    entries = [_Entry(*row) for row in session.execute(stmt)]
    return sorted(entries, key=lambda e: group_order(e.group_name, e.name))


def latest_year(session: Session, tz: ZoneInfo = DEFAULT_TZ) -> int | None:
    """The year of the newest month any report counts for; None without reports."""
    current = (Report.id == ReportVersion.report_id) & (ReportVersion.version_no == Report.current_version)
    activity = session.scalar(  # down the activity_date index to the first current version (not a MAX of all)
        select(ReportVersion.activity_date).join(Report, current).where(ReportVersion.activity_date.is_not(None))
        .order_by(ReportVersion.activity_date.desc()).limit(1))
    received = max(session.scalars(  # few, found by the activity_date index (a MAX would walk received_at's)
        select(ReportVersion.received_at).join(Report, current).where(ReportVersion.activity_date.is_(None))),
        default=None)
    years = [activity.year] if activity is not None else []
    if received is not None:
        years.append(int(report_month(None, received, tz)[:4]))
    return max(years, default=None)


def _coverage(entries: Iterable[_Entry], counted: _Counted, year: int, months: tuple[str, ...]) -> Coverage:
    reports, late = counted.reports, counted.late
    zeros = (0,) * len(months)
    nothing = tuple(zip(months, zeros, strict=True))
    rows = []
    for e in entries:  # 2,000 entries x 9 months: the pairs are zipped in C, not built one by one
        got, late_got = reports.get(e.id), late.get(e.id)
        late_months = tuple((m, late_got[m]) for m in months if m in late_got) if late_got else ()
        rows.append(CoverageRow(entry_id=e.id, name=e.name, group=e.group_name,
                                months=tuple(zip(months, map(got.get, months, zeros), strict=True)) if got else nothing,
                                late=sum(n for _, n in late_months), late_months=late_months))
    return Coverage(year=year, months=months, rows=tuple(rows))


def coverage(session: Session, year: int | None, season: tuple[int, int], *, today: date,
             tz: ZoneInfo = DEFAULT_TZ, before: datetime | None = None) -> Coverage:
    """Every entry's reports per month of year's season (up to today when year is today's year) and how many
    were late. year None: the year of the newest report (today's year without any). before: count only what
    was received before then."""
    if before is not None:
        counted = _counted(session, tz, before)
        if year is None:
            year = int(counted.latest_month[:4]) if counted.latest_month else today.year
        return _coverage(_entries(session), counted, year, season_months(year, season, today))
    if year is None:
        year = latest_year(session, tz) or today.year
    months = season_months(year, season, today)
    return _coverage(_entries(session), _counted_now(session, tz, months), year, months)


def coverage_and_missing(session: Session, year: int, season: tuple[int, int], month: str, *, today: date,
                         tz: ZoneInfo = DEFAULT_TZ) -> tuple[Coverage, list[MissingRow]]:
    """coverage() of year and missing() of one of its months (YYYY-MM; none listed for a month the coverage does
    not show) from one count of the reports: the console's 报送情况 page."""
    months = season_months(year, season, today)
    entries, counted = _entries(session), _counted_now(session, tz, months)
    return (_coverage(entries, counted, year, months), _missing(entries, counted, month) if month in months else [])


def _missing(entries: Iterable[_Entry], counted: _Counted, month: str) -> list[MissingRow]:
    return [MissingRow(entry_id=e.id, name=e.name, group=e.group_name, contact_person=e.contact_person,
                       contact_phone=e.contact_phone)
            for e in entries if not counted.reports.get(e.id, {}).get(month)]


def missing(session: Session, year: int, month: int, *, tz: ZoneInfo = DEFAULT_TZ,
            before: datetime | None = None) -> list[MissingRow]:
    """The entries with no report for that month, ordered by group (none last), then name."""
    shown = month_text(year, month)
    counted = _counted(session, tz, before) if before is not None else _counted_now(session, tz, (shown,))
    return _missing(_entries(session), counted, shown)


# ---- names matched to no entry --------------------------------------------------------------------------------
def distinctive(key: str) -> str:
    """A name key without the words nearly every branch's name has (GENERIC_WORDS); the key when nothing is left."""
    return _GENERIC.sub("", key) or key


class Similar:
    """The roster's names and aliases, to suggest the entries an unknown name resembles (rapidfuzz's ratio, a
    normalised Indel similarity, of the names' distinctive parts).

    Similar.of(session) reads the names and reuses the last one built while they are the same (compared in full:
    never stale): a page listing 100 unknown names against 2,000 entries then compares each name once, not on
    every visit. Safe to share between threads (what it remembers only grows, and is cleared past a size)."""

    _last: Similar | None = None
    _lock = threading.Lock()
    REMEMBERED = 10_000  # candidate lists kept per roster

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        """pairs: (entry name, name key or alias key), every entry's and every alias's."""
        self.pairs = tuple(pairs)
        self._names = [name for name, _ in self.pairs]
        self._keys = [distinctive(key) for _, key in self.pairs]
        self._found: dict[tuple[str, int], tuple[str, ...]] = {}

    @classmethod
    def of(cls, session: Session) -> Similar:
        pairs: list[tuple[str, str]] = [(name, key) for name, key in session.execute(
            select(RosterEntry.name, RosterEntry.name_key).order_by(RosterEntry.id))]
        pairs += [(name, key) for name, key in session.execute(
            select(RosterEntry.name, RosterAlias.alias_key).join(RosterEntry, RosterEntry.id == RosterAlias.entry_id)
            .order_by(RosterAlias.id))]
        with cls._lock:
            last = cls._last
            if last is None or last.pairs != tuple(pairs):
                last = cls._last = cls(pairs)
        return last

    def candidates(self, org_name: str, limit: int = CANDIDATES) -> tuple[str, ...]:
        """Up to limit entry names that org_name resembles, most alike first (ties by name)."""
        key = roster_key(org_name)
        if not key or not self._keys:
            return ()
        found = self._found.get((key, limit))
        if found is None:
            if len(self._found) >= self.REMEMBERED:
                self._found.clear()
            found = self._found[(key, limit)] = self._compare(key, limit)
        return found

    def _compare(self, key: str, limit: int) -> tuple[str, ...]:
        from rapidfuzz import fuzz, process  # 28 ms to import: only when there is a name to compare

        found = process.extract(distinctive(key), self._keys, scorer=fuzz.ratio, score_cutoff=SIMILAR_CUTOFF,
                                limit=None)  # most alike first: hundreds when the names differ by a number
        best: dict[str, float] = {}  # each name's first (so best) score
        last = -1.0  # the score of the limit-th name: no name after a lower score can still be among the first
        for _, score, index in found:
            if score < last:
                break
            best.setdefault(self._names[index], score)
            if last < 0 and len(best) == limit:
                last = score
        return tuple(sorted(best, key=lambda name: (-best[name], name))[:limit])


def unmatched(session: Session, limit: int = CANDIDATES) -> list[UnmatchedName]:
    """Report organisations (current versions) matched to no entry, one per name key in its newest spelling, with
    how many reports and up to limit candidate entries; most reports first. Empty without a roster."""
    if not has_roster(session):
        return []
    stmt = (
        select(ReportVersion.received_at, ReportVersion.id, ReportVersion.org_name)
        .join(Report, (Report.id == ReportVersion.report_id) & (ReportVersion.version_no == Report.current_version))
        .where(Report.roster_entry_id.is_(None))
    )  # ordered here, not in SQL: an ORDER BY would have the database walk every version in received order
    names: dict[str, str] = {}
    reports: Counter[str] = Counter()
    for _, _, org_name in sorted(session.connection().execute(stmt).all()):
        key = roster_key(org_name)
        names[key] = org_name.strip()  # the newest spelling wins
        reports[key] += 1
    similar = Similar.of(session)
    out = [UnmatchedName(org_name=names[key], reports=n, candidates=similar.candidates(names[key], limit))
           for key, n in reports.items()]
    return sorted(out, key=lambda u: (-u.reports, u.org_name))


# ---- the digest's part -----------------------------------------------------------------------------------------
def roster_facts(session: Session, day: date, season: tuple[int, int], tz: ZoneInfo) -> RosterFacts | None:
    """What the digest for day says about the roster, as the reports stood at the end of that day; None without
    a roster. The month's missing entries are listed only when day's month is in the season."""
    entries = _entries(session)
    if not entries:
        return None
    counted = _counted(session, tz, day_bounds(day, tz)[1])
    month = month_text(day.year, day.month)
    in_season = season[0] <= day.month <= season[1]
    return RosterFacts(
        month=month, in_season=in_season, entries=len(entries),
        missing=tuple(_missing(entries, counted, month)) if in_season else (),
        unmatched=tuple(unmatched(session, limit=1)),
        coverage=_coverage(entries, counted, day.year, season_months(day.year, season, day)),
    )
