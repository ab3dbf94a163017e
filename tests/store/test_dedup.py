"""Ladder steps 3-5: duplicate attachments, duplicate forms, new versions versus new reports."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from parsers.model import ParsedForm
from store.dedup import (
    form_fingerprint,
    normalise_org,
    record_attachment,
    record_form,
)
from store.messages import record_message
from store.models import Duplicate, Report, ReportVersion
from store.records import FormResult
from tests.store.helpers import attachment_in, docx_bytes, form, message_in

Factory = sessionmaker[Session]


def _arrive(s: Session, f: ParsedForm, correction: bool = False, subject: str = "情况表") -> tuple[int, int]:
    """One mail carrying one .docx of form f: returns (message pk, attachment pk)."""
    m = record_message(s, message_in(subject, correction=correction))
    a = record_attachment(s, m.message_pk, attachment_in(docx_bytes(f)))
    return m.message_pk, a.attachment_pk


def _submit(s: Session, f: ParsedForm, correction: bool = False) -> tuple[int, FormResult]:
    msg, att = _arrive(s, f, correction)
    return msg, record_form(s, msg, att, f, correction)


def test_normalise_org_ignores_white_space_width_and_case() -> None:
    assert normalise_org(" 苏州市 姑苏区\u3000第一党支部 ") == normalise_org("苏州市姑苏区第一党支部")
    assert normalise_org("ＡＢＣ党支部") == normalise_org("abc 党支部")


def test_fingerprint_ignores_nfkc_and_white_space_but_not_content() -> None:
    f = form()
    same = replace(f, org_name=" 苏州市姑苏区离退休干部第一党支部\u3000", summary="组织老党员  参观革命旧址。",
                   agenda=("重温入党誓词 ", "学习党章"), contact_phone="139 1234 5678")
    assert form_fingerprint(f) == form_fingerprint(same)
    assert form_fingerprint(f) != form_fingerprint(replace(f, headcount=24))
    assert form_fingerprint(f) != form_fingerprint(replace(f, summary="另一段简介"))


def test_ladder3_same_bytes_from_another_message_is_a_duplicate_attachment(session_factory: Factory) -> None:
    data = docx_bytes(form())
    with session_factory() as s:
        m1 = record_message(s, message_in()).message_pk
        m2 = record_message(s, message_in()).message_pk
        a1 = record_attachment(s, m1, attachment_in(data))
        a2 = record_attachment(s, m2, attachment_in(data, filename="转发：情况表.docx"))
        s.commit()
        assert a1.duplicate_of is None
        assert a2.duplicate_of == a1.attachment_pk
        dup = s.scalars(select(Duplicate).where(Duplicate.kind == "attachment")).one()
        assert (dup.message_id, dup.attachment_id) == (m2, a2.attachment_pk)
        assert (dup.of_message_id, dup.of_attachment_id) == (m1, a1.attachment_pk)


def test_ladder3_same_bytes_twice_in_one_message_is_not_a_duplicate(session_factory: Factory) -> None:
    data = docx_bytes(form())
    with session_factory() as s:
        m = record_message(s, message_in()).message_pk
        record_attachment(s, m, attachment_in(data))
        second = record_attachment(s, m, attachment_in(data, filename="副本.docx"))
        assert second.duplicate_of is None


def test_ladder4_same_content_in_other_spelling_is_a_duplicate_of_that_version(session_factory: Factory) -> None:
    f = form()
    respaced = replace(f, org_name="苏州市姑苏区 离退休干部第一党支部", summary=" 组织老党员参观革命旧址。 ")
    with session_factory() as s:
        _, first = _submit(s, f)
        msg2, att2 = _arrive(s, respaced)
        again = record_form(s, msg2, att2, respaced, correction=False)
        s.commit()
        assert first.outcome == "new_report"
        assert again.outcome == "duplicate_form"
        assert again.version_pk == first.version_pk
        dup = s.scalars(select(Duplicate).where(Duplicate.kind == "form")).one()
        assert (dup.message_id, dup.attachment_id, dup.of_version_id) == (msg2, att2, again.version_pk)
        assert s.scalar(select(func.count(ReportVersion.id))) == 1


def test_ladder4_resending_an_old_version_never_rolls_back_a_correction(session_factory: Factory) -> None:
    v1 = form(headcount=23)
    v2 = replace(v1, headcount=25, headcount_text="25人")
    with session_factory() as s:
        _, r1 = _submit(s, v1)
        _, r2 = _submit(s, v2, correction=True)
        _, r3 = _submit(s, v1)  # the old file sent again, even flagged as a correction
        msg4, att4 = _arrive(s, v1, correction=True)
        r4 = record_form(s, msg4, att4, v1, correction=True)
        s.commit()
        assert r2.outcome == "new_version" and r2.version_no == 2
        assert r3.outcome == "duplicate_form" and r3.version_pk == r1.version_pk
        assert r4.outcome == "duplicate_form" and r4.version_pk == r1.version_pk
        report = s.get(Report, r1.report_pk)
        assert report is not None and report.current_version == 2


def test_ladder5_correction_word_makes_a_new_version_of_the_same_report(session_factory: Factory) -> None:
    v1 = form()
    v2 = replace(v1, agenda=("参观苏州革命博物馆",), summary="改为参观博物馆。")
    with session_factory() as s:
        _, r1 = _submit(s, v1)
        _, r2 = _submit(s, v2, correction=True)
        assert r2.outcome == "new_version"
        assert (r2.report_pk, r2.version_no) == (r1.report_pk, 2)


def test_ladder5_same_agenda_without_correction_word_is_a_new_version(session_factory: Factory) -> None:
    v1 = form()
    v2 = replace(v1, contact_phone="0512-65221234", org_name="苏州市姑苏区离退休干部 第一党支部")
    with session_factory() as s:
        _, r1 = _submit(s, v1)
        _, r2 = _submit(s, v2)
        assert r2.outcome == "new_version"
        assert r2.report_pk == r1.report_pk


def test_ladder5_other_agenda_without_correction_word_is_a_new_report(session_factory: Factory) -> None:
    may = form()
    june = replace(may, agenda=("学习二十大精神",), activity_date=None, summary="六月主题党日。")
    with session_factory() as s:
        _, r1 = _submit(s, may)
        _, r2 = _submit(s, june)
        assert r2.outcome == "new_report"
        assert r2.report_pk != r1.report_pk
        assert s.scalar(select(func.count(Report.id))) == 2


def test_ladder5_correction_goes_to_the_report_whose_agenda_matches(session_factory: Factory) -> None:
    may = form()
    june = replace(may, agenda=("学习二十大精神",), summary="六月主题党日。")
    may_fixed = replace(may, headcount=30, headcount_text="30人")
    with session_factory() as s:
        _, r_may = _submit(s, may)
        _, r_june = _submit(s, june)
        _, fixed = _submit(s, may_fixed, correction=True)
        assert fixed.report_pk == r_may.report_pk != r_june.report_pk


def test_another_organisation_is_always_a_new_report(session_factory: Factory) -> None:
    with session_factory() as s:
        _, r1 = _submit(s, form())
        _, r2 = _submit(s, form(org="吴中区老干部党支部"), correction=True)
        assert r2.outcome == "new_report" and r2.report_pk != r1.report_pk


def test_every_duplicate_is_recorded_with_what_it_duplicates(session_factory: Factory) -> None:
    f = form()
    data = docx_bytes(f)
    with session_factory() as s:
        m1 = record_message(s, message_in(message_id="<one@example.cn>")).message_pk
        a1 = record_attachment(s, m1, attachment_in(data)).attachment_pk
        v1 = record_form(s, m1, a1, f, False)
        m2 = record_message(s, message_in(message_id="<one@example.cn>", folder="Junk")).message_pk
        a2 = record_attachment(s, m2, attachment_in(data)).attachment_pk
        record_form(s, m2, a2, f, False)
        s.commit()
        dups = {d.kind: d for d in s.scalars(select(Duplicate).where(Duplicate.message_id == m2))}
        assert set(dups) == {"message", "attachment", "form"}
        assert dups["message"].of_message_id == m1
        assert dups["attachment"].of_attachment_id == a1
        assert dups["form"].of_version_id == v1.version_pk


def test_version_keeps_fields_attachment_and_received_time(session_factory: Factory) -> None:
    f = replace(form(), warnings=("人数未填写数字",))
    with session_factory() as s:
        msg, att = _arrive(s, f)
        r = record_form(s, msg, att, f, False)
        s.commit()
        v = s.get(ReportVersion, r.version_pk)
        assert v is not None
        assert (v.org_name, v.headcount, v.agenda, v.attachment_id) == (f.org_name, 23, list(f.agenda), att)
        assert v.warnings == ["人数未填写数字"] and v.activity_date == f.activity_date
        assert v.received_at.tzinfo is not None


@pytest.mark.parametrize("correction", [False, True])
def test_form_without_attachment_pk_is_accepted(session_factory: Factory, correction: bool) -> None:
    with session_factory() as s:
        msg = record_message(s, message_in()).message_pk
        r = record_form(s, msg, None, form(), correction)
        assert r.outcome == "new_report"


def test_ladder4_concurrent_winner_of_a_form_makes_this_one_a_duplicate_and_keeps_the_transaction(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import store.dedup as dedup_mod

    f = form()
    with session_factory() as s:
        _, first = _submit(s, f)
        s.commit()
    real = dedup_mod._version_with
    calls = {"n": 0}

    def blind_first_time(session: Session, fingerprint: str) -> ReportVersion | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(session, fingerprint)

    monkeypatch.setattr(dedup_mod, "_version_with", blind_first_time)
    with session_factory() as s:
        msg, att = _arrive(s, f)
        again = record_form(s, msg, att, f, False)  # the unique fingerprint refuses the insert; read again
        s.commit()
        assert again.outcome == "duplicate_form" and again.version_pk == first.version_pk
        assert s.scalar(select(func.count(Report.id))) == 1
        assert s.scalar(select(func.count(ReportVersion.id))) == 1


@pytest.mark.parametrize("correction", [False, True])
def test_forms_without_an_organisation_name_never_become_versions_of_each_other(
    session_factory: Factory, correction: bool
) -> None:
    # Two branches leave 党组织名称 blank and copy the notice's agenda: neither may overwrite the other.
    first = form(org="", person="王建国", phone="13912345678")
    second = form(org="　", person="李红", phone="13800001111", headcount=31)
    with session_factory() as s:
        _, r1 = _submit(s, first)
        _, r2 = _submit(s, second, correction=correction)
        assert r2.outcome == "new_report" and r2.report_pk != r1.report_pk
        assert s.scalar(select(func.count(Report.id))) == 2
