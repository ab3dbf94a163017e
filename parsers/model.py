"""Frozen values the parsers hand to their callers: a parsed form, a failure, a result."""

from __future__ import annotations

from dataclasses import dataclass

from core.forms import FormValues
from core.vocab import FailureKind


@dataclass(frozen=True)
class Failure:
    """Why a file gave no form: a kind, its Chinese message, and technical detail for the admin."""

    kind: FailureKind
    detail: str = ""

    @property
    def message(self) -> str:
        return self.kind.message


ParsedForm = FormValues
"""One 情况表 read out of a file (core.forms.FormValues: the one type of a form's values)."""


@dataclass(frozen=True)
class ParseResult:
    """What one file gave: forms (with warnings), or exactly one failure."""

    forms: tuple[ParsedForm, ...] = ()
    failure: Failure | None = None
    detected_format: str = ""
    pixels_pending: bool = False
    """A picture or scanned PDF left unread because parse() was told ocr=False: parse it again with OCR when the
    mail gave no typed form."""

    @property
    def ok(self) -> bool:
        return self.failure is None and len(self.forms) > 0
