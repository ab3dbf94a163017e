"""Frozen values the parsers hand to their callers: a parsed form, a failure, a result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from core.vocab import FailureKind


@dataclass(frozen=True)
class Failure:
    """Why a file gave no form: a kind, its Chinese message, and technical detail for the admin."""

    kind: FailureKind
    detail: str = ""

    @property
    def message(self) -> str:
        return self.kind.message


@dataclass(frozen=True)
class ParsedForm:
    """One 情况表 read out of a file: every value exactly as found, or None with a warning."""

    org_name: str
    headcount: int | None
    headcount_text: str
    agenda: tuple[str, ...]
    summary: str
    contact_person: str
    contact_phone: str
    activity_date: date | None
    warnings: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ParseResult:
    """What one file gave: forms (with warnings), or exactly one failure."""

    forms: tuple[ParsedForm, ...] = ()
    failure: Failure | None = None
    detected_format: str = ""

    @property
    def ok(self) -> bool:
        return self.failure is None and len(self.forms) > 0
