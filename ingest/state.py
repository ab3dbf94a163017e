"""The one typed state the pipeline's steps share per message, the run's context, and what a message became."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from core.vocab import FailureKind, IgnoreReason, MessageOutcome
from ingest.model import MailContent, MailProblem, RawMessage
from parsers import parse as parse_attachment
from parsers.model import ParseResult
from store.records import AttachmentFields
from store.session import Session


class ParseFunction(Protocol):
    """parsers.parse's shape: the pipeline's seam for the parser (tests hand in one that misbehaves)."""

    def __call__(self, data: bytes, filename: str, ref_date: date | None = None, *, soffice: str = ...,
                 timeout: float = ..., ocr: bool = ...) -> ParseResult: ...


@dataclass(frozen=True)
class PipelineContext:
    """What every message of one run shares: whose mailbox it is, our own addresses, the time zone, the parser."""

    account: str
    own_addresses: frozenset[str] = frozenset()
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    soffice: str = "soffice"
    parse_timeout: float = 60.0
    parse: ParseFunction = parse_attachment
    receipts: str = "off"  # off | failures | all (INTAKE_RECEIPTS)
    receipt_daily_limit: int = 5
    receipt_max_age_hours: float = 72.0
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # a seam for "now"


@dataclass
class Counts:
    """What a run made of its messages; added up across messages and folders."""

    messages: int = 0
    skipped: int = 0
    new_reports: int = 0
    new_versions: int = 0
    duplicates: int = 0
    failures: int = 0
    ignored: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Processed:
    """What one message became in this run: its outcome (SKIPPED when it was done before), why, and the counts."""

    uid: int
    message_pk: int | None
    outcome: MessageOutcome
    reason: str = ""
    counts: Counts = field(default_factory=Counts)


@dataclass
class AttachmentWork:
    """One attachment on its way through the steps: the file, then its parse result, then its stored row."""

    attachment: AttachmentFields
    problem: MailProblem | None = None  # found while taking the mail apart: never parsed, recorded as is
    result: ParseResult | None = None
    pk: int | None = None  # once stored
    duplicate_of: int | None = None  # an earlier attachment with the same bytes


@dataclass
class MessageState:
    """Everything known about one message while the steps run; each step reads it and adds to it."""

    raw: RawMessage
    session: Session
    ctx: PipelineContext
    content: MailContent = field(default_factory=MailContent)
    received_at: datetime | None = None
    correction: bool = False
    message_pk: int | None = None
    duplicate_of: int | None = None  # the same mail, received before
    ignore_reason: IgnoreReason | None = None
    work: list[AttachmentWork] = field(default_factory=list)
    message_problems: list[MailProblem] = field(default_factory=list)
    reparsing: int | None = None  # the failure whose attachment is parsed again (reparse), if any
    still_failing: FailureKind | None = None  # what a reparsed attachment still gives
    made: int = 0  # report versions made (new reports and new versions)
    duplicates: int = 0
    failures: int = 0
    failure_kinds: set[FailureKind] = field(default_factory=set)
    orgs_read: list[str] = field(default_factory=list)  # organisations of the forms read from this message
    counts: Counts = field(default_factory=lambda: Counts(messages=1))
    processed: Processed | None = None  # what settle decided

    @property
    def tag(self) -> str:
        """How log lines name this message."""
        return self.content.message_id or f"uid={self.raw.uid}"


class Stop(Exception):
    """Raised by a step to end the message's handling early: the remaining steps are skipped, settle still runs."""

    def __init__(self, outcome: MessageOutcome, reason: str = "") -> None:
        super().__init__(outcome.value)
        self.outcome = outcome
        self.reason = reason


Step = Callable[[MessageState], None]
