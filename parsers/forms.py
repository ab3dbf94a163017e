"""Group a document's labelled values into 情况表 forms and read each into a ParsedForm: every value exact, or empty
(or kept) with a warning that names the field."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from parsers.fields import find_activity_date, parse_headcount, parse_phone, split_contact, split_items
from parsers.labels import FIELD_NAMES, FORM_FIELDS, Field, label_inside, line_label
from parsers.layout import MIN_LABELS, Block, Event, sources
from parsers.limits import Deadline
from parsers.model import ParsedForm

_BARE_NUMBERING = re.compile(r"^\s*(?:[(（]?[\d一二三四五六七八九十]+[.、．)）:]?|[•·\-—*])\s*$")
_COVERS = {Field.CONTACT_AND_PHONE: (Field.CONTACT, Field.PHONE)}
"""A label that stands for more than one field when counting a form's labels."""
_READ_FIELDS = (*FORM_FIELDS, Field.CONTACT_AND_PHONE)


@dataclass
class RawForm:
    """Values found for one form, as typed, before they are read into a ParsedForm."""

    values: dict[Field, list[str]] = field(default_factory=dict)
    labelled: set[Field] = field(default_factory=set)
    keys: dict[object, Field] = field(default_factory=dict)
    near: dict[Field, dict[object, tuple[str, list[str]]]] = field(default_factory=dict)
    """Values under near misses of a label, by label: read only when the field has none of its own."""
    heading: tuple[str, str] | None = None
    """The organisation named in the form's title or the line above it, and which of the two."""

    def add(self, fld: Field, value: str, key: object) -> None:
        self.labelled.add(fld)
        self.keys[key] = fld
        self.values.setdefault(fld, []).append(value)

    def add_near(self, event: Event) -> None:
        _, values = self.near.setdefault(event.field, {}).setdefault(event.key, (event.label, []))
        values.append(event.value)

    def filled(self, fld: Field) -> bool:
        return any(v.strip() for v in self.values.get(fld, []))

    @property
    def label_count(self) -> int:
        """How many of the form's six fields are labelled (联系人及电话 counts for two)."""
        covered = {part for fld in self.labelled for part in _COVERS.get(fld, (fld,))}
        return len(covered & set(FORM_FIELDS))

    @property
    def is_form(self) -> bool:
        return self.label_count >= MIN_LABELS

    def without(self, fields: Iterable[Field]) -> RawForm:
        """A copy with these fields' values (and near misses) emptied, their labels kept; the organisation named in
        a heading goes too when ORG is among them."""
        gone = set(fields)
        if Field.CONTACT in gone or Field.PHONE in gone:
            gone.add(Field.CONTACT_AND_PHONE)
        return RawForm(
            values={fld: ([] if fld in gone else list(v)) for fld, v in self.values.items()},
            labelled=set(self.labelled),
            keys=dict(self.keys),
            near={fld: v for fld, v in self.near.items() if fld not in gone},
            heading=None if Field.ORG in gone else self.heading,
        )

    @property
    def is_empty(self) -> bool:
        if any(_meaningful(v) for fld in _READ_FIELDS for v in self.values.get(fld, ())):
            return False
        return not any(_meaningful(v) for labels in self.near.values() for _, values in labels.values() for v in values)


def _meaningful(value: str) -> bool:
    return any(line.strip() and not _BARE_NUMBERING.match(line) for line in value.splitlines())


def collect(blocks: Iterable[Block], deadline: Deadline) -> list[RawForm]:
    """Group the labelled values found in document order into forms; a repeated field starts a new form.

    The first event after a switch between labelled text and tables starts a new form too, so an instruction
    line (联系人：…) outside a table never lends its values to the table's form. An organisation found in a title or
    heading goes to the next form that starts."""
    forms: list[RawForm] = [RawForm()]
    last_kind: str | None = None
    heading: tuple[str, str] | None = None
    for kind, stream in sources(blocks, deadline):
        for event in stream:
            if event.field is Field.HEADING:
                heading = (event.value, event.label)
                continue
            new_form = event.new_form
            if kind != last_kind:
                new_form = new_form or last_kind is not None
                last_kind = kind
            form = forms[-1]
            if event.key in form.keys and not new_form and not event.weak:
                form.values[event.field].append(event.value)
                continue
            repeated = event.field in form.labelled and (event.field is Field.ORG or form.filled(event.field))
            if (new_form or (repeated and not event.weak)) and (form.labelled or form.near):
                form = RawForm()
                forms.append(form)
            if heading is not None and not form.labelled and not form.near:
                form.heading, heading = heading, None
            if event.weak:
                form.add_near(event)
            else:
                form.add(event.field, event.value, event.key)
    return [form for form in forms if form.is_form]


def read_forms(raws: Iterable[RawForm], ref_date: date, year_known: bool = True) -> tuple[ParsedForm, ...]:
    """Each filled form read, in order; a form identical to one before it (pasted twice) is that form, once."""
    seen: dict[ParsedForm, None] = {}
    for raw in raws:
        if not raw.is_empty:
            seen.setdefault(read_form(raw, ref_date, year_known), None)
    return tuple(seen)


def _one_line(values: list[str]) -> str:
    parts = [line.strip() for value in values for line in value.splitlines() if line.strip()]
    out = ""
    for part in parts:
        if out and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            out += " "
        out += part
    return out


def _values(raw: RawForm, fld: Field, warnings: list[str]) -> list[str]:
    """The field's own values; when it has none, the one near-miss label's (「活动人员数」 for 人数), with a warning."""
    own = raw.values.get(fld, [])
    for value in own:
        if value.strip():
            return own
    if fld not in raw.near:
        return own
    near = [(label, values) for label, values in raw.near.get(fld, {}).values() if any(v.strip() for v in values)]
    if len(near) == 1:
        label, values = near[0]
        warnings.append(f"{FIELD_NAMES[fld]}取自「{_as_typed(label)}」一栏，请核对")
        return values
    if near:
        labels = "、".join(f"「{_as_typed(label)}」" for label, _ in near)
        warnings.append(f"{FIELD_NAMES[fld]}未读取：表中有几栏像是{FIELD_NAMES[fld]}（{labels}），请核对")
    return own


def _as_typed(label: str) -> str:
    """A label as a warning quotes it: without the white space and colons around it."""
    return label.strip().rstrip(":：∶﹕").strip()


def _single(raw: RawForm, fld: Field, warnings: list[str]) -> str:
    """A one-line field's text, cut before anything in it that looks like another field's label (flagged)."""
    text = _one_line(_values(raw, fld, warnings))
    inside = label_inside(fld, text)
    if inside is None:
        return text
    kept, found = inside
    warnings.append(f"{FIELD_NAMES[fld]}中有像是其他栏目的文字「{found}」，已只取其前的「{kept}」，请核对")
    return kept


def read_form(
    raw: RawForm, ref_date: date, year_known: bool = True, withheld: Mapping[Field, str] | None = None
) -> ParsedForm:
    """Turn the raw values of one form into a ParsedForm, with a warning for every value not read cleanly.

    withheld names fields left empty on purpose (read from pixels too unclearly) with the warning to give instead
    of 「…未填写」."""
    if withheld:
        form = read_form(raw.without(withheld), ref_date, year_known)
        return dataclasses.replace(form, warnings=_withheld_warnings(form.warnings, withheld))
    warnings: list[str] = []
    org = _org(raw, warnings)
    headcount_text = _one_line(_values(raw, Field.HEADCOUNT, warnings))
    headcount, warning = parse_headcount(headcount_text)
    if warning:
        warnings.append(warning)
    agenda = tuple(item for value in _values(raw, Field.AGENDA, warnings) for item in split_items(value)
                   if _meaningful(item))
    if not agenda:
        warnings.append("议程未填写")
    summary = "\n".join(line for value in _values(raw, Field.SUMMARY, warnings) for line in split_items(value))
    if not summary:
        warnings.append("简介未填写")
    for fld, text in ((Field.AGENDA, "\n".join(agenda)), (Field.SUMMARY, summary)):
        if (found := line_label(text)) is not None:
            warnings.append(f"{FIELD_NAMES[fld]}中有一行像是其他栏目「{found}」，请核对")
    contact, phone_text, unsplit = _contact(raw, warnings)
    phone, warning = parse_phone(phone_text)
    if warning and not (unsplit and not phone_text):  # the cell holding both is named already
        warnings.append(warning)
    date_field = "\n".join(v for v in raw.values.get(Field.DATE, []) if v.strip())
    activity_date, warning = find_activity_date(
        [t for t in (summary, "\n".join(agenda)) if t], ref_date, date_field, year_known
    )
    if warning:
        warnings.append(warning)
    return ParsedForm(
        org_name=org,
        headcount=headcount,
        headcount_text=headcount_text,
        agenda=agenda,
        summary=summary,
        contact_person=contact,
        contact_phone=phone,
        activity_date=activity_date,
        warnings=tuple(warnings),
    )


def _withheld_warnings(warnings: tuple[str, ...], withheld: Mapping[Field, str]) -> tuple[str, ...]:
    """The form's warnings with 「X未填写」 of each withheld field replaced by the reason it was withheld."""
    blank = {f"{FIELD_NAMES[fld]}未填写": reason for fld, reason in withheld.items()}
    out = [blank.pop(w, w) for w in warnings]
    return (*out, *blank.values())


def _org(raw: RawForm, warnings: list[str]) -> str:
    org = _single(raw, Field.ORG, warnings)
    if org:
        return org
    if raw.heading is not None:
        name, where = raw.heading
        place = "标题" if where == "title" else "表格上方一行"
        warnings.append(f"党组织名称未填写，已从{place}读取：{name}，请核对")
        return name
    warnings.append("党组织名称未填写")
    return ""


def _contact(raw: RawForm, warnings: list[str]) -> tuple[str, str, bool]:
    """Contact person and phone text: from their own cells, or split out of one cell holding both (联系人及电话, or
    a number typed in the 联系人 cell); and whether that one cell could not be split (then it alone is named)."""
    contact = _one_line(_values(raw, Field.CONTACT, warnings))
    phone_text = _one_line(_values(raw, Field.PHONE, warnings))
    both = _one_line(_values(raw, Field.CONTACT_AND_PHONE, warnings))
    if both and not (contact and phone_text):
        split = split_contact(both)
        if split is not None:
            contact, phone_text = contact or split[0], phone_text or split[1]
        elif not any(ch.isdigit() for ch in both):
            contact = contact or both
        else:
            warnings.append(f"联系人、联系方式无法分开读取：{both}")
            return contact, phone_text, True
    elif not phone_text and contact and (split := split_contact(contact)) is not None:
        contact, phone_text = split
        warnings.append("联系方式填在联系人栏中，已分开读取")
    inside = label_inside(Field.CONTACT, contact)
    if inside is not None:
        contact, found = inside
        warnings.append(f"联系人中有像是其他栏目的文字「{found}」，已只取其前的「{contact}」，请核对")
    if not contact:
        warnings.append("联系人未填写")
    return contact, phone_text, False
