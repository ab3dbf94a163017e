"""The roster in the store: entries added, updated and replaced; one identity per branch (name, alias, sender
address); the dedup ladder's "same organisation" follows it; staff-confirmed aliases re-link reports."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from parsers.model import ParsedForm
from store.dedup import record_attachment, record_form
from store.errors import NotFound, RosterConflict
from store.messages import record_message
from store.models import AuditEntry, Report, RosterAlias, RosterEntry
from store.records import FormResult, RosterEntryIn
from store.roster import (
    add_alias,
    check_roster,
    has_roster,
    list_entries,
    match_entry,
    replace_roster,
    roster_key,
    upsert_roster,
)
from tests.store.helpers import attachment_in, docx_bytes, form, message_in

Factory = sessionmaker[Session]

CAIZHENG = RosterEntryIn(name="中共苏州市财政局离退休干部党支部", group="市级机关", contact_person="钱卫东",
                         contact_phone="13906121847", emails=("QianWeiDong1956@163.com",),
                         aliases=("财政局老干部支部",))
SHUILI = RosterEntryIn(name="苏州市水利局（水务局）离退休干部党支部", group="市级机关", contact_person="顾国平",
                       contact_phone="13862097315", emails=("13862097315@139.com",), aliases=())
GUSU = RosterEntryIn(name="姑苏区老干部局机关离退休干部党支部", group="姑苏区", contact_person="周建华",
                     contact_phone="0512-65231746", emails=(), aliases=("姑苏区老干部局机关离退休党支部",))
ROSTER = (CAIZHENG, SHUILI, GUSU)


def _submit(s: Session, f: ParsedForm, *, sender: str = "branch1@example.cn", correction: bool = False,
            when: datetime = datetime(2020, 5, 15, 1, 0, tzinfo=UTC)) -> FormResult:
    m = record_message(s, message_in("情况表", correction=correction, sender_address=sender, received_at=when))
    a = record_attachment(s, m.message_pk, attachment_in(docx_bytes(f)))
    return record_form(s, m.message_pk, a.attachment_pk, f, correction)


def _entry_id(s: Session, name: str) -> int:
    entry = s.scalar(select(RosterEntry.id).where(RosterEntry.name_key == roster_key(name)))
    assert entry is not None
    return entry


def _linked(s: Session, report_pk: int) -> int | None:
    return s.scalar(select(Report.roster_entry_id).where(Report.id == report_pk))


def test_roster_key_ignores_party_and_city_prefixes_punctuation_width_and_invisible_characters() -> None:
    key = roster_key("苏州市财政局离退休干部党支部")
    for spelling in ("中共苏州市财政局离退休干部党支部", "市财政局离退休干部党支部",
                     " 苏州市财政局（离退休干部）党支部。", "苏州市\u200b财政局离退休干部\u3000党支部",
                     "中共 苏州市 财政局·离退休干部党支部"):
        assert roster_key(spelling) == key, spelling
    assert key == "财政局离退休干部党支部"
    assert roster_key("苏州市水利局离退休干部党支部") != key
    assert roster_key("中共") == "中共" and roster_key("市") == "市"  # never down to nothing
    assert roster_key("ABC 党支部") == roster_key("abc党支部")


def test_import_adds_entries_and_lists_them_by_group_then_name(session_factory: Factory) -> None:
    with session_factory.begin() as s:
        assert not has_roster(s)
        change = upsert_roster(s, ROSTER)
    assert (change.added, change.updated, change.removed) == (3, 0, 0)
    with session_factory() as s:
        rows = list_entries(s)
    assert [(r.group, r.name) for r in rows] == [
        ("姑苏区", "姑苏区老干部局机关离退休干部党支部"),
        ("市级机关", "中共苏州市财政局离退休干部党支部"),
        ("市级机关", "苏州市水利局（水务局）离退休干部党支部"),
    ]
    caizheng = rows[1]
    assert caizheng.emails == ("qianweidong1956@163.com",) and caizheng.aliases == ("财政局老干部支部",)
    assert (caizheng.contact_person, caizheng.contact_phone) == ("钱卫东", "13906121847")


def test_import_without_replace_updates_by_name_and_keeps_fields_the_file_does_not_have(
    session_factory: Factory,
) -> None:
    with session_factory.begin() as s:
        upsert_roster(s, ROSTER)
    with session_factory.begin() as s:
        first_id = _entry_id(s, CAIZHENG.name)
        change = upsert_roster(s, [RosterEntryIn(name="苏州市财政局离退休干部党支部", contact_phone="65150000"),
                                   RosterEntryIn(name="吴中区长桥街道老干部党支部", group="吴中区")])
    assert (change.added, change.updated, change.removed) == (1, 1, 0)
    with session_factory() as s:
        rows = {r.name: r for r in list_entries(s)}
        assert _entry_id(s, CAIZHENG.name) == first_id
    assert len(rows) == 4
    updated = rows["苏州市财政局离退休干部党支部"]  # the file's spelling, same entry
    assert (updated.group, updated.contact_person, updated.contact_phone) == ("市级机关", "钱卫东", "65150000")
    assert updated.emails == ("qianweidong1956@163.com",) and updated.aliases == ("财政局老干部支部",)


def test_replace_swaps_the_roster_keeping_ids_of_kept_entries_and_staff_aliases(session_factory: Factory) -> None:
    with session_factory.begin() as s:
        upsert_roster(s, ROSTER)
        shuili = _submit(s, form(org="苏州市水利局离退休干部党支部"), sender="13862097315@139.com")
        add_alias(s, "财政局党支部", CAIZHENG.name, by="cli")
    with session_factory.begin() as s:
        kept_id = _entry_id(s, CAIZHENG.name)
        assert _linked(s, shuili.report_pk) == _entry_id(s, SHUILI.name)
        change = replace_roster(s, [replace(CAIZHENG, aliases=("市财政局老干部",), emails=("czj@163.com",)), GUSU])
    assert (change.added, change.updated, change.removed) == (0, 2, 1)
    with session_factory() as s:
        rows = {r.name: r for r in list_entries(s)}
        assert set(rows) == {CAIZHENG.name, GUSU.name}
        assert _entry_id(s, CAIZHENG.name) == kept_id
        assert set(rows[CAIZHENG.name].aliases) == {"财政局党支部", "市财政局老干部"}  # the file's old alias is gone
        assert rows[CAIZHENG.name].emails == ("czj@163.com",)
        assert _linked(s, shuili.report_pk) is None  # its entry is gone


def test_bad_entries_are_all_listed_by_index_and_nothing_is_written(session_factory: Factory) -> None:
    with session_factory.begin() as s:
        upsert_roster(s, [CAIZHENG])
    bad = [
        GUSU,
        RosterEntryIn(name=" 　"),
        RosterEntryIn(name="姑苏区老干部局机关（离退休干部）党支部"),
        RosterEntryIn(name="相城区元和街道离退休干部党支部", emails=("not an address",)),
        RosterEntryIn(name="吴江区松陵街道离退休干部党支部", aliases=("苏州市财政局离退休干部党支部",)),
        RosterEntryIn(name="吴江区盛泽镇离退休干部党支部", aliases=("姑苏区老干部局机关离退休党支部",)),
    ]
    with session_factory() as s:
        problems = check_roster(s, bad, replace=False)
    assert [i for i, _ in problems] == [1, 2, 3, 4, 5]
    assert "党组织名称为空" in problems[0][1]
    assert "姑苏区老干部局机关离退休干部党支部" in problems[1][1]
    assert "not an address" in problems[2][1]
    assert "中共苏州市财政局离退休干部党支部" in problems[3][1]  # another entry's name, stored already
    assert "也是" in problems[4][1]
    with session_factory() as s, pytest.raises(RosterConflict) as caught:
        upsert_roster(s, bad)
    assert caught.value.problems == tuple(problems)
    with session_factory() as s:
        assert [r.name for r in list_entries(s)] == [CAIZHENG.name]


def test_rule1_a_spelling_of_the_entrys_name_matches_it(session_factory: Factory) -> None:
    with session_factory.begin() as s:
        upsert_roster(s, ROSTER)
        result = _submit(s, form(org="苏州市财政局离退休干部党支部"), sender="someone@qq.com")
        assert _linked(s, result.report_pk) == _entry_id(s, CAIZHENG.name)
        assert match_entry(s, "市财政局离退休干部党支部") == _entry_id(s, CAIZHENG.name)


def test_rule2_an_alias_matches_its_entry(session_factory: Factory) -> None:
    with session_factory.begin() as s:
        upsert_roster(s, ROSTER)
        result = _submit(s, form(org="姑苏区老干部局机关离退休党支部"))
        assert _linked(s, result.report_pk) == _entry_id(s, GUSU.name)


def test_rule3_the_sender_address_listed_for_one_entry_matches_it_but_a_shared_one_matches_none(
    session_factory: Factory,
) -> None:
    with session_factory.begin() as s:
        upsert_roster(s, [*ROSTER, RosterEntryIn(name="吴江区松陵街道离退休干部党支部", emails=("wjq@163.com",)),
                          RosterEntryIn(name="吴江区盛泽镇离退休干部党支部", emails=("WJQ@163.com",))])
        by_address = _submit(s, form(org="水利局老干部党支部"), sender="13862097315@139.com")
        assert _linked(s, by_address.report_pk) == _entry_id(s, SHUILI.name)
        shared = _submit(s, form(org="吴江区某街道党支部"), sender="wjq@163.com")
        assert _linked(s, shared.report_pk) is None
        # the name comes first: a branch writing from another branch's address is still itself
        named = _submit(s, form(org="姑苏区老干部局机关离退休干部党支部", headcount=9), sender="13862097315@139.com")
        assert _linked(s, named.report_pk) == _entry_id(s, GUSU.name)


def test_a_correction_under_a_second_spelling_is_version_2_of_the_same_report(session_factory: Factory) -> None:
    first = form(org="苏州市财政局离退休干部党支部", headcount=23)
    fixed = replace(first, org_name="中共苏州市财政局离退休干部党支部", headcount=25, headcount_text="25人",
                    agenda=("重温入党誓词", "观看红色电影"))
    with session_factory.begin() as s:
        upsert_roster(s, ROSTER)
        r1 = _submit(s, first)
        r2 = _submit(s, fixed, correction=True)
    assert (r2.outcome, r2.report_pk, r2.version_no) == ("new_version", r1.report_pk, 2)


def test_a_correction_from_the_entrys_address_under_an_unknown_spelling_is_version_2(
    session_factory: Factory,
) -> None:
    first = form(org="苏州市水利局离退休干部党支部")
    fixed = replace(first, org_name="水利局老干部党支部", headcount=20, headcount_text="20人")
    with session_factory.begin() as s:
        upsert_roster(s, ROSTER)
        r1 = _submit(s, first, sender="13862097315@139.com")
        r2 = _submit(s, fixed, sender="13862097315@139.com", correction=True)
    assert (r2.outcome, r2.report_pk) == ("new_version", r1.report_pk)


def test_without_a_roster_a_second_spelling_is_another_report_as_before(session_factory: Factory) -> None:
    first = form(org="苏州市财政局离退休干部党支部")
    fixed = replace(first, org_name="中共苏州市财政局离退休干部党支部", headcount=25, headcount_text="25人")
    with session_factory.begin() as s:
        r1 = _submit(s, first)
        r2 = _submit(s, fixed, correction=True)
        assert _linked(s, r1.report_pk) is None and match_entry(s, fixed.org_name) is None
    assert r2.outcome == "new_report" and r2.report_pk != r1.report_pk


def test_importing_a_roster_links_the_reports_received_before_it(session_factory: Factory) -> None:
    with session_factory.begin() as s:
        before = _submit(s, form(org="苏州市财政局离退休干部党支部"))
        stranger = _submit(s, form(org="高新区狮山街道老干部党支部", headcount=35))
        change = upsert_roster(s, ROSTER)
    assert change.relinked == 1
    with session_factory() as s:
        assert _linked(s, before.report_pk) == _entry_id(s, CAIZHENG.name)
        assert _linked(s, stranger.report_pk) is None


def test_a_confirmed_alias_relinks_that_names_reports_and_is_audited(session_factory: Factory) -> None:
    with session_factory.begin() as s:
        upsert_roster(s, ROSTER)
        r1 = _submit(s, form(org="财政局离休党支部"))
        r2 = _submit(s, form(org="财政局 离休党支部", agenda=("学习党章",), summary="六月。", headcount=20))
        assert _linked(s, r1.report_pk) is None
        result = add_alias(s, "财政局离休党支部", "苏州市财政局离退休干部党支部", by="cli")
    assert result.created and result.relinked == 2 and result.entry_name == CAIZHENG.name
    with session_factory.begin() as s:
        entry = _entry_id(s, CAIZHENG.name)
        assert _linked(s, r1.report_pk) == _linked(s, r2.report_pk) == entry
        alias = s.scalars(select(RosterAlias).where(RosterAlias.alias == "财政局离休党支部")).one()
        assert alias.confirmed_by == "cli"
        audit = s.scalars(select(AuditEntry)).one()
        assert (audit.actor, audit.action, audit.target_id) == ("cli", "roster_alias", entry)
        again = add_alias(s, "财政局离休党支部", CAIZHENG.name, by="cli")  # nothing new
        assert not again.created and again.relinked == 0
        assert s.scalar(select(func.count(AuditEntry.id))) == 1


def test_an_alias_that_is_another_entrys_name_or_alias_or_names_no_entry_is_refused(
    session_factory: Factory,
) -> None:
    with session_factory.begin() as s:
        upsert_roster(s, ROSTER)
    with session_factory() as s:
        with pytest.raises(RosterConflict, match="另一个党组织"):
            add_alias(s, "苏州市水利局（水务局）离退休干部党支部", CAIZHENG.name, by="cli")
        with pytest.raises(RosterConflict, match="已是"):
            add_alias(s, "姑苏区老干部局机关离退休党支部", CAIZHENG.name, by="cli")
        with pytest.raises(NotFound, match="名册中没有"):
            add_alias(s, "某党支部", "不存在的党支部", by="cli")
        with pytest.raises(RosterConflict):
            add_alias(s, "  ", CAIZHENG.name, by="cli")


def test_a_file_alias_takes_over_a_staff_alias_of_another_entry_and_says_so(session_factory: Factory) -> None:
    with session_factory.begin() as s:
        upsert_roster(s, ROSTER)
        add_alias(s, "机关离退休党支部", GUSU.name, by="cli")
        change = upsert_roster(s, [replace(CAIZHENG, aliases=("机关离退休党支部",))])
    assert change.dropped_aliases == (("机关离退休党支部", GUSU.name),)
    with session_factory() as s:
        assert match_entry(s, "机关离退休党支部") == _entry_id(s, CAIZHENG.name)

