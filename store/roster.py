"""The roster (名册) and one identity per branch: its entries with their aliases and sender addresses, which entry a
report's organisation is, and every report kept linked to it.

A report's organisation is matched to an entry by, in order (match_entry, and _Index.match for many at once):
1. its name key (roster_key: NFKC, no white space, format characters or punctuation, case-folded, a leading 中共
   and then 苏州市 or 市 ignored) equal to the entry's;
2. that key equal to one of the entry's aliases' (from the roster file, or confirmed by staff with add_alias);
3. the sender address of its mail, when that address is listed for exactly one entry (an address listed for
   several, a district office sending for its branches say, identifies none of them).
Otherwise it is unmatched: store.coverage suggests entries by similarity, which only staff apply (add_alias).

Reports keep their entry in Report.roster_entry_id: set as a form is recorded (store.dedup) and set again for every
report whenever the roster or an alias changes (relink_reports). Functions take a Session and never commit; a
change that cannot go ahead raises RosterConflict (or NotFound) before anything is written.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from store.errors import NotFound, RosterConflict
from store.models import AuditEntry, Message, Report, ReportVersion, RosterAlias, RosterEmail, RosterEntry, utcnow
from store.records import AliasResult, RosterChange, RosterEntryIn, RosterEntryRow
from store.text import clean_text, match_key

log = logging.getLogger(__name__)

KEY_LIMIT = 500  # the key columns' length
ADDRESS_LIMIT = 320
ALIAS_ACTION = "roster_alias"  # audit_log.action of an alias confirmed by staff
# Ignored at the start of a name, in this order: the Party's prefix, then the city (苏州市, or 市 as staff shorten it).
_PREFIXES: tuple[tuple[str, ...], ...] = (("中共",), ("苏州市", "市"))


@lru_cache(maxsize=65_536)  # a branch's name comes back with each of its reports (relink_reports reads them all)
def roster_key(name: str | None) -> str:
    """The key one branch's spellings share: match_key (NFKC, no white space or format characters), case-folded,
    without punctuation, and without a leading 中共 and then 苏州市 or 市 (never down to nothing).

    中共苏州市财政局离退休干部党支部, 苏州市财政局离退休干部党支部 and 市财政局（离退休干部）党支部 share one key.
    """
    key = "".join(ch for ch in match_key(name).casefold() if not unicodedata.category(ch).startswith("P"))
    for choices in _PREFIXES:
        for prefix in choices:
            if key.startswith(prefix) and len(key) > len(prefix):
                key = key[len(prefix):]
                break
    return key


def normalise_address(text: str | None) -> str:
    """An e-mail address as the roster compares it: trimmed, without mailto: or angle brackets, lower case."""
    address = clean_text(text).strip().strip("<>").strip()
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:"):].strip()
    return address.lower()


def is_address(address: str) -> bool:
    """Whether a normalised address looks like one: local@domain.tld, no spaces or list separators."""
    local, at, domain = address.rpartition("@")
    return (bool(local and at and domain) and "." in domain.strip(".") and len(address) <= ADDRESS_LIMIT
            and not any(ch.isspace() or ch in "<>,;，；、" for ch in address))


# ---- matching ----------------------------------------------------------------------------------------------------
def has_roster(session: Session) -> bool:
    """Whether any roster entry is loaded (without one, reports are matched to nothing and nothing is missing)."""
    return session.scalar(select(RosterEntry.id).limit(1)) is not None


def match_entry(session: Session, org_name: str, sender_address: str = "") -> int | None:
    """The id of the roster entry a report's organisation is (rules 1-3 of the module docstring), or None."""
    key = roster_key(org_name)
    if key:
        found = session.scalar(select(RosterEntry.id).where(RosterEntry.name_key == key))
        if found is None:
            found = session.scalar(select(RosterAlias.entry_id).where(RosterAlias.alias_key == key))
        if found is not None:
            return found
    address = normalise_address(sender_address)
    if not address:
        return None
    owners = session.scalars(
        select(RosterEmail.entry_id).where(RosterEmail.address == address).distinct().limit(2)
    ).all()
    return owners[0] if len(owners) == 1 else None


@dataclass(frozen=True)
class _Index:
    """The whole roster's keys in memory, to match many reports at once (relink_reports)."""

    names: dict[str, int]
    aliases: dict[str, int]
    addresses: dict[str, int]  # only addresses listed for exactly one entry

    @classmethod
    def load(cls, session: Session) -> _Index:
        owners: dict[str, set[int]] = defaultdict(set)
        for address, entry_id in session.execute(select(RosterEmail.address, RosterEmail.entry_id)):
            owners[address].add(entry_id)
        return cls(
            names={key: entry_id for key, entry_id in session.execute(select(RosterEntry.name_key, RosterEntry.id))},
            aliases={key: entry_id for key, entry_id in session.execute(
                select(RosterAlias.alias_key, RosterAlias.entry_id))},
            addresses={address: next(iter(ids)) for address, ids in owners.items() if len(ids) == 1},
        )

    def match(self, org_name: str, sender_address: str) -> int | None:
        key = roster_key(org_name)
        if key:
            found = self.names.get(key, self.aliases.get(key))
            if found is not None:
                return found
        return self.addresses.get(normalise_address(sender_address))


def relink_reports(session: Session) -> int:
    """Match every report to the roster again and store the result; return how many reports changed entry.

    A report is its versions, newest first: the first version whose name (or mail's sender) matches decides, so a
    correction under a spelling the roster does not know keeps the entry its first version matched.
    """
    index = _Index.load(session)
    stmt = (
        select(ReportVersion.report_id, ReportVersion.org_name, Message.sender_address, Report.roster_entry_id)
        .join(Report, Report.id == ReportVersion.report_id)
        .join(Message, Message.id == ReportVersion.message_id)
        .order_by(ReportVersion.report_id, ReportVersion.version_no.desc())
    )
    changes: list[dict[str, int | None]] = []
    for report_id, versions in groupby(session.execute(stmt), key=lambda row: row[0]):
        rows = list(versions)
        target = next((e for _, name, sender, _ in rows if (e := index.match(name, sender)) is not None), None)
        if target != rows[0][3]:
            changes.append({"id": report_id, "roster_entry_id": target})
    if changes:
        session.execute(update(Report), changes)
        session.flush()
    log.info("roster: %d reports linked anew", len(changes))
    return len(changes)


# ---- reading -----------------------------------------------------------------------------------------------------
def group_order(group: str, name: str) -> tuple[bool, str, str]:
    """How roster lists are ordered: by group (entries without one last), then by name."""
    return (group == "", group, name)


def list_entries(session: Session) -> list[RosterEntryRow]:
    """Every entry with its aliases and addresses, ordered by group (none last), then name."""
    aliases: dict[int, list[str]] = defaultdict(list)
    for entry_id, alias in session.execute(select(RosterAlias.entry_id, RosterAlias.alias).order_by(RosterAlias.id)):
        aliases[entry_id].append(alias)
    emails: dict[int, list[str]] = defaultdict(list)
    for entry_id, address in session.execute(
        select(RosterEmail.entry_id, RosterEmail.address).order_by(RosterEmail.id)
    ):
        emails[entry_id].append(address)
    rows = [
        RosterEntryRow(id=e.id, name=e.name, group=e.group_name, contact_person=e.contact_person,
                       contact_phone=e.contact_phone, aliases=tuple(aliases[e.id]), emails=tuple(emails[e.id]))
        for e in session.scalars(select(RosterEntry))
    ]
    return sorted(rows, key=lambda r: group_order(r.group, r.name))


def find_entry(session: Session, name: str) -> RosterEntry | None:
    """The entry with this name (any spelling with its key), or with this alias."""
    key = roster_key(name)
    if not key:
        return None
    entry = session.scalar(select(RosterEntry).where(RosterEntry.name_key == key))
    if entry is None:
        entry = session.scalar(
            select(RosterEntry).join(RosterAlias, RosterAlias.entry_id == RosterEntry.id)
            .where(RosterAlias.alias_key == key)
        )
    return entry


def entry_count(session: Session) -> int:
    return int(session.scalar(select(func.count(RosterEntry.id))) or 0)


# ---- changing ----------------------------------------------------------------------------------------------------
def add_alias(session: Session, alias: str, entry_name: str, *, by: str) -> AliasResult:
    """Record that reports written as alias are the entry named entry_name (its name or an alias), as confirmed
    by `by` (a user name, or cli), in the audit log too; then re-link every report. Recording an alias the entry
    has already changes nothing. NotFound when no entry has that name; RosterConflict when alias is another
    entry's name or alias."""
    key = roster_key(alias)
    shown = clean_text(alias).strip()
    if not key:
        raise RosterConflict([(-1, "写法为空，无法记为别名")])
    if len(key) > KEY_LIMIT:
        raise RosterConflict([(-1, f"写法超过 {KEY_LIMIT} 字，无法记为别名")])
    entry = find_entry(session, entry_name)
    if entry is None:
        raise NotFound(f"名册中没有「{clean_text(entry_name).strip()}」")
    owner = session.scalar(select(RosterEntry).where(RosterEntry.name_key == key))
    if owner is not None and owner.id != entry.id:
        raise RosterConflict([(-1, f"「{shown}」是名册中另一个党组织「{owner.name}」的名称")])
    existing = session.scalar(select(RosterAlias).where(RosterAlias.alias_key == key))
    if existing is not None and existing.entry_id != entry.id:
        other = session.get(RosterEntry, existing.entry_id)
        raise RosterConflict([(-1, f"「{shown}」已是「{other.name if other else ''}」的别名")])
    created = owner is None and existing is None
    if created:
        session.add(RosterAlias(entry_id=entry.id, alias=shown, alias_key=key, confirmed_by=by[:100]))
        session.add(AuditEntry(at=utcnow(), actor=by[:100], action=ALIAS_ACTION, target_kind="roster",
                               target_id=entry.id, note=f"{shown} → {entry.name}"))
        session.flush()
        log.info("roster: %r recorded as an alias of entry %s by %s", shown, entry.id, by)
    return AliasResult(entry_id=entry.id, entry_name=entry.name, alias=shown, created=created,
                       relinked=relink_reports(session))


def replace_roster(session: Session, entries: Sequence[RosterEntryIn]) -> RosterChange:
    """Make the roster exactly these entries: entries kept by name keep their id (and their reports), their
    file aliases and addresses become the given ones and staff-confirmed aliases stay; entries not given are
    removed (their reports unlinked). Reports are re-linked. RosterConflict lists every problem, nothing written."""
    return _apply(session, entries, replace=True)


def upsert_roster(session: Session, entries: Sequence[RosterEntryIn]) -> RosterChange:
    """Add these entries, or update the ones whose name (key) is stored; other entries stay. Fields given as
    None keep what is stored. Reports are re-linked. RosterConflict lists every problem, nothing written."""
    return _apply(session, entries, replace=False)


def check_roster(session: Session, entries: Sequence[RosterEntryIn], *, replace: bool) -> list[tuple[int, str]]:
    """The problems importing these entries would meet, as (index, Chinese message); empty when it can go ahead."""
    return _Plan.build(session, entries, replace).problems


@dataclass
class _Plan:
    """What an import will write, worked out (and checked) before anything is written."""

    stored: dict[str, RosterEntry]  # by name key
    incoming: list[tuple[str, RosterEntryIn]]  # (name key, entry), in the caller's order
    replace: bool
    problems: list[tuple[int, str]] = field(default_factory=list)
    new_aliases: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias key -> (entry key, alias)
    drop_aliases: list[int] = field(default_factory=list)  # stored alias ids that go
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (alias, entry name) taken by a conflict

    @classmethod
    def build(cls, session: Session, entries: Sequence[RosterEntryIn], replace: bool) -> _Plan:
        stored = {e.name_key: e for e in session.scalars(select(RosterEntry))}
        plan = cls(stored, [(roster_key(e.name), e) for e in entries], replace)
        finals = plan._check_entries()
        plan._claim_file_aliases(finals)
        plan._settle_stored_aliases(session, finals)
        return plan

    def _check_entries(self) -> dict[str, str]:
        """Names and addresses, entry by entry; returns every name key the roster will have, with its name."""
        finals = {} if self.replace else {key: e.name for key, e in self.stored.items()}
        seen: dict[str, str] = {}
        for i, (key, entry) in enumerate(self.incoming):
            name = clean_text(entry.name).strip()
            if not key:
                self.problems.append((i, "党组织名称为空"))
            elif len(key) > KEY_LIMIT:
                self.problems.append((i, f"党组织名称超过 {KEY_LIMIT} 字"))
            elif key in seen:
                self.problems.append((i, f"党组织名称与前面的「{seen[key]}」相同（忽略空格、标点和“中共”“苏州市”后）"))
            else:
                seen[key] = name
            bad = [a for a in entry.emails or () if not is_address(normalise_address(a))]
            if bad:
                self.problems.append((i, f"邮箱「{'、'.join(bad)}」不是邮件地址"))
            finals[key] = name
        return finals

    def _claim_file_aliases(self, finals: dict[str, str]) -> None:
        for i, (key, entry) in enumerate(self.incoming):
            for alias in entry.aliases or ():
                akey, shown = roster_key(alias), clean_text(alias).strip()
                if not akey or akey == key:
                    continue  # empty, or the entry's own name in another spelling
                if len(akey) > KEY_LIMIT:
                    self.problems.append((i, f"别名「{shown[:40]}…」超过 {KEY_LIMIT} 字"))
                elif akey in finals:
                    self.problems.append((i, f"别名「{shown}」是另一个党组织「{finals[akey]}」的名称"))
                elif akey in self.new_aliases and self.new_aliases[akey][0] != key:
                    self.problems.append((i, f"别名「{shown}」也是「{finals[self.new_aliases[akey][0]]}」的别名"))
                else:
                    self.new_aliases.setdefault(akey, (key, shown))

    def _settle_stored_aliases(self, session: Session, finals: dict[str, str]) -> None:
        """Stored aliases that stay, that the file replaces, and that a name or file alias now takes over."""
        given = {key: e for key, e in self.incoming}
        key_of = {e.id: key for key, e in self.stored.items()}
        for alias in session.scalars(select(RosterAlias).order_by(RosterAlias.id)):
            owner = key_of.get(alias.entry_id, "")
            file_entry = given.get(owner)
            removed = self.replace and file_entry is None
            replaced = file_entry is not None and file_entry.aliases is not None and not alias.confirmed_by
            claimed = self.new_aliases.get(alias.alias_key)
            if removed or replaced:
                self.drop_aliases.append(alias.id)
            elif claimed is not None and claimed[0] == owner:
                del self.new_aliases[alias.alias_key]  # the file says what is stored already
            elif alias.alias_key in finals or claimed is not None:
                self.drop_aliases.append(alias.id)
                if alias.alias_key != owner:
                    self.dropped.append((alias.alias, self.stored_name(owner)))

    def stored_name(self, key: str) -> str:
        entry = self.stored.get(key)
        return entry.name if entry is not None else ""


def _apply(session: Session, entries: Sequence[RosterEntryIn], *, replace: bool) -> RosterChange:
    plan = _Plan.build(session, entries, replace)
    if plan.problems:
        raise RosterConflict(plan.problems)
    if plan.drop_aliases:
        session.execute(delete(RosterAlias).where(RosterAlias.id.in_(plan.drop_aliases)))
    given = {key for key, _ in plan.incoming}
    gone = [e.id for key, e in plan.stored.items() if replace and key not in given]
    if gone:
        session.execute(update(Report).where(Report.roster_entry_id.in_(gone)).values(roster_entry_id=None))
        session.execute(delete(RosterEmail).where(RosterEmail.entry_id.in_(gone)))
        session.execute(delete(RosterEntry).where(RosterEntry.id.in_(gone)))
    rows = {key: _put_entry(session, plan.stored.get(key), key, entry) for key, entry in plan.incoming}
    session.flush()
    for akey, (key, alias) in plan.new_aliases.items():
        session.add(RosterAlias(entry_id=rows[key].id, alias=alias, alias_key=akey, confirmed_by=""))
    _put_emails(session, {rows[key].id: entry.emails for key, entry in plan.incoming if entry.emails is not None})
    session.flush()
    added = sum(1 for key in given if key not in plan.stored)
    change = RosterChange(added=added, updated=len(given) - added, removed=len(gone),
                          relinked=relink_reports(session), dropped_aliases=tuple(plan.dropped))
    log.info("roster %s: %s", "replaced" if replace else "updated", change)
    return change


def _put_entry(session: Session, row: RosterEntry | None, key: str, entry: RosterEntryIn) -> RosterEntry:
    """Insert or update one entry's row; a field given as None keeps the stored value."""
    now = utcnow()
    if row is None:
        row = RosterEntry(name_key=key, group_name="", contact_person="", contact_phone="", created_at=now)
        session.add(row)
    row.name = clean_text(entry.name).strip()
    for attribute, value in (("group_name", entry.group), ("contact_person", entry.contact_person),
                             ("contact_phone", entry.contact_phone)):
        if value is not None:
            setattr(row, attribute, clean_text(value).strip())
    row.updated_at = now
    return row


def _put_emails(session: Session, emails: dict[int, tuple[str, ...]]) -> None:
    """Each given entry's addresses become exactly these (one DELETE for all: no RosterEmail objects are loaded)."""
    if not emails:
        return
    session.execute(delete(RosterEmail).where(RosterEmail.entry_id.in_(list(emails)))
                    .execution_options(synchronize_session=False))
    for entry_id, addresses in emails.items():
        for address in dict.fromkeys(normalise_address(a) for a in addresses):
            if address:
                session.add(RosterEmail(entry_id=entry_id, address=address))
