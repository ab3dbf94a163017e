"""The values of one 情况表, as every package passes them: read by the parsers, kept and read back by the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class FormValues:
    """One 情况表: every value exactly as found, or empty / None with a warning naming the field (never a guess)."""

    org_name: str
    headcount: int | None
    headcount_text: str
    agenda: tuple[str, ...]
    summary: str
    contact_person: str
    contact_phone: str
    activity_date: date | None
    warnings: tuple[str, ...] = ()
