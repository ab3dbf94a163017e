"""Read the roster against the reports: which entry reported in which month of the season, who has not reported in
a month, and which report names match no entry (with the entries they resemble, for staff to confirm).

A report counts once, for the month of its activity date (of its current version), or of the day it was received
(local time) when no activity date was read. Only reports linked to an entry count (store.roster keeps the links).
Without a roster every list here is empty. Functions take a Session and never write.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from store.models import Report, ReportVersion, RosterAlias, RosterEntry
from store.queries import DEFAULT_TZ, day_bounds, is_late
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
    """Reports per (entry, YYYY-MM), and the late ones among them."""

    reports: Counter[tuple[int, str]]
    late: Counter[tuple[int, str]]
    latest_month: str  # the newest month any linked or unlinked report counts for; "" when none


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
    reports: Counter[tuple[int, str]] = Counter()
    late: Counter[tuple[int, str]] = Counter()
    latest = ""
    for _, activity, received_at, entry_id in newest.values():
        month = report_month(activity, received_at, tz)
        latest = max(latest, month)
        if entry_id is not None:
            reports[(entry_id, month)] += 1
            late[(entry_id, month)] += is_late(received_at, activity, tz)
    return _Counted(reports, late, latest)


def report_month(activity: date | None, received_at: datetime, tz: ZoneInfo = DEFAULT_TZ) -> str:
    """The month (YYYY-MM) a report counts for: its activity date's, else the local day it was received."""
    if activity is not None:
        return month_text(activity.year, activity.month)
    local = received_at.astimezone(tz)
    return month_text(local.year, local.month)


def _entries(session: Session) -> list[RosterEntry]:
    entries = session.scalars(select(RosterEntry)).all()
    return sorted(entries, key=lambda e: group_order(e.group_name, e.name))


def latest_year(session: Session, tz: ZoneInfo = DEFAULT_TZ) -> int | None:
    """The year of the newest month any report counts for; None without reports."""
    latest = _counted(session, tz, None).latest_month
    return int(latest[:4]) if latest else None


def _coverage(entries: Iterable[RosterEntry], counted: _Counted, year: int, months: tuple[str, ...]) -> Coverage:
    rows = []
    for e in entries:
        late_months = tuple((m, counted.late[(e.id, m)]) for m in months if counted.late[(e.id, m)])
        rows.append(CoverageRow(entry_id=e.id, name=e.name, group=e.group_name,
                                months=tuple((m, counted.reports[(e.id, m)]) for m in months),
                                late=sum(n for _, n in late_months), late_months=late_months))
    return Coverage(year=year, months=months, rows=tuple(rows))


def coverage(session: Session, year: int | None, season: tuple[int, int], *, today: date,
             tz: ZoneInfo = DEFAULT_TZ, before: datetime | None = None) -> Coverage:
    """Every entry's reports per month of year's season (up to today when year is today's year) and how many
    were late. year None: the year of the newest report (today's year without any). before: count only what
    was received before then."""
    counted = _counted(session, tz, before)
    if year is None:
        year = int(counted.latest_month[:4]) if counted.latest_month else today.year
    return _coverage(_entries(session), counted, year, season_months(year, season, today))


def _missing(entries: Iterable[RosterEntry], counted: _Counted, month: str) -> list[MissingRow]:
    return [MissingRow(entry_id=e.id, name=e.name, group=e.group_name, contact_person=e.contact_person,
                       contact_phone=e.contact_phone)
            for e in entries if not counted.reports[(e.id, month)]]


def missing(session: Session, year: int, month: int, *, tz: ZoneInfo = DEFAULT_TZ,
            before: datetime | None = None) -> list[MissingRow]:
    """The entries with no report for that month, ordered by group (none last), then name."""
    return _missing(_entries(session), _counted(session, tz, before), month_text(year, month))


# ---- names matched to no entry --------------------------------------------------------------------------------
def distinctive(key: str) -> str:
    """A name key without the words nearly every branch's name has (GENERIC_WORDS); the key when nothing is left."""
    return _GENERIC.sub("", key) or key


class Similar:
    """The roster's names and aliases, to suggest the entries an unknown name resembles (rapidfuzz's ratio, a
    normalised Indel similarity, of the names' distinctive parts)."""

    def __init__(self, session: Session) -> None:
        pairs = [(e.name, e.name_key) for e in session.scalars(select(RosterEntry))]
        pairs += session.execute(
            select(RosterEntry.name, RosterAlias.alias_key).join(RosterEntry, RosterEntry.id == RosterAlias.entry_id)
        ).all()
        self._names = [name for name, _ in pairs]
        self._keys = [distinctive(key) for _, key in pairs]

    def candidates(self, org_name: str, limit: int = CANDIDATES) -> tuple[str, ...]:
        """Up to limit entry names that org_name resembles, most alike first (ties by name)."""
        from rapidfuzz import fuzz, process  # 28 ms to import: only when there is a name to compare

        key = roster_key(org_name)
        if not key or not self._keys:
            return ()
        found = process.extract(distinctive(key), self._keys, scorer=fuzz.ratio, score_cutoff=SIMILAR_CUTOFF,
                                limit=None)
        best: dict[str, float] = {}
        for _, score, index in found:
            name = self._names[index]
            best[name] = max(best.get(name, 0.0), score)
        return tuple(sorted(best, key=lambda name: (-best[name], name))[:limit])


def unmatched(session: Session, limit: int = CANDIDATES) -> list[UnmatchedName]:
    """Report organisations (current versions) matched to no entry, one per name key in its newest spelling, with
    how many reports and up to limit candidate entries; most reports first. Empty without a roster."""
    if not has_roster(session):
        return []
    stmt = (
        select(ReportVersion.org_name)
        .join(Report, (Report.id == ReportVersion.report_id) & (ReportVersion.version_no == Report.current_version))
        .where(Report.roster_entry_id.is_(None))
        .order_by(ReportVersion.received_at, ReportVersion.id)
    )
    names: dict[str, str] = {}
    reports: Counter[str] = Counter()
    for (org_name,) in session.execute(stmt):
        key = roster_key(org_name)
        names[key] = org_name.strip()  # the newest spelling wins
        reports[key] += 1
    similar = Similar(session)
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
