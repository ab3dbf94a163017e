"""What a 回执 says, in the bureau's tone: the fields as read, a repeat's first date, or what to fix and how.

Plain text and simple HTML (Jinja2, autoescaped) from the store's ReceiptFacts; every value from the branch is cut
to a sane length. The blank form goes with a failure receipt when the branch sent no usable 情况表.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from core.text import one_line
from core.vocab import FailureKind, ReceiptKind
from store.records import ReceiptFacts, ReceiptForm

SIGNATURE = "中共苏州市委老干部局组织指导处"
SUBJECT_PREFIX = "回执："
SUBJECT_KEPT = 120
VALUE_KEPT = 200
AGENDA_LINES = 5
BLANK_FORM_NAME = "情况表（空白）.docx"


@dataclass(frozen=True)
class RenderedReceipt:
    subject: str
    text: str
    html: str
    blank_form: bytes | None  # attach it: the branch sent no usable form


def cut(value: str, limit: int = VALUE_KEPT) -> str:
    """One line of outside text, at most `limit` characters, "…" when cut (core.text.one_line)."""
    return one_line(str(value), limit)


def md(when: datetime | date, tz: ZoneInfo | None = None) -> str:
    """5月1日 (a date) or 5月1日 09:30 (a time, in tz)."""
    if isinstance(when, datetime):
        local = when.astimezone(tz) if tz is not None else when
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{when.month}月{when.day}日"


def subject_for(original: str) -> str:
    return SUBJECT_PREFIX + (cut(original, SUBJECT_KEPT) or "主题党日活动情况表")


def _people(form: ReceiptForm) -> str:
    if form.headcount is not None:
        return f"{form.headcount} 人"
    return cut(form.headcount_text) or "（未读出）"


def _form_view(form: ReceiptForm, tz: ZoneInfo) -> dict[str, object]:
    agenda = [cut(a) for a in form.agenda]
    return {
        "org_name": cut(form.org_name) or "（未读出）",
        "people": _people(form),
        "activity": f"{form.activity_date.year}年{md(form.activity_date)}" if form.activity_date else "（未读出）",
        "contact_person": cut(form.contact_person) or "（未读出）",
        "contact_phone": cut(form.contact_phone) or "（未读出）",
        "agenda": agenda[:AGENDA_LINES],
        "agenda_more": max(0, len(agenda) - AGENDA_LINES),
        "version": form.version,
        "replaces": md(form.replaces_received_at, tz) if form.replaces_received_at else "",
        "late": form.late,
        "warnings": [cut(w) for w in form.warnings],
    }


def _failure_view(kind: str, filename: str) -> dict[str, str]:
    code = FailureKind(kind)
    return {"file": cut(filename, 80), "advice": code.advice}


_ENV = Environment(loader=PackageLoader("receipts", "templates"), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_receipt(facts: ReceiptFacts, kind: ReceiptKind, *, tz: ZoneInfo, office_phone: str) -> RenderedReceipt:
    """The receipt for one message, text and HTML, and the blank form when it should go with it."""
    failures = [_failure_view(k, f) for k, f in facts.failures]
    context = {
        "kind": kind.value,
        "received": md(facts.received_at, tz),
        "subject": cut(facts.subject, SUBJECT_KEPT) or "（无主题）",
        "forms": [_form_view(f, tz) for f in facts.forms],
        "repeats": [{"org_name": cut(org) or "（未填党组织名称）", "first": md(when, tz)}
                    for org, when in facts.repeats],
        "failures": failures,
        "signature": SIGNATURE,
        "office_phone": office_phone,
    }
    wants_form = kind is ReceiptKind.FAILURE and any(FailureKind(k).wants_blank_form for k, _ in facts.failures)
    blank = resources.files("receipts").joinpath("form-blank.docx").read_bytes() if wants_form else None
    return RenderedReceipt(
        subject=subject_for(facts.subject),
        text=_ENV.get_template("receipt.txt.j2").render(context),
        html=_ENV.get_template("receipt.html.j2").render(context),
        blank_form=blank,
    )
