"""How much of each outside value, and of each list, the digest shows: a few hundred KB whatever arrives.

A failing mail with a 10 MB Subject once made an 80 MB digest that SMTP refused. Every string from outside
(a branch's text, a sender, a subject, a file name, a server's error line) is shown as one line cut with an
ellipsis; every section lists its first LIST_LIMIT items and says how many more there are. Counts stay exact:
they come from the full lists, never from what is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from core.text import one_line

T = TypeVar("T")
U = TypeVar("U")

# Characters shown of one value. Chinese names and subjects are rarely over 60; these leave room for the odd
# long one while keeping a card readable on a phone.
ORG_NAME = 80
GROUP = 40  # a roster entry's 所属单位
PERSON = 40
PHONE = 40
HEADCOUNT = 40
SENDER = 120
SUBJECT = 120
FILENAME = 100
REASON = 200
WARNING = 160
WARNINGS_SHOWN = 8
CHANGE = 80  # one side of a correction's old → new
DUPLICATE_OF = 200
ERROR_LINE = 300
MAILBOX = 120
REPLY_SUBJECT = 80  # the subject carried into a reply link, before percent-encoding (×9 for Chinese)

LIST_LIMIT = 100
"""Items listed per section (reports, corrections, failures, duplicates of one kind, error lines)."""


def cut(text: str | None, limit: int) -> str:
    """One line of at most limit characters, "…" when cut; breaks, controls and bidi overrides become spaces."""
    return one_line(text or "", limit)


@dataclass(frozen=True)
class Shown(Generic[T]):
    """The first items of a list, and how many of the list are not shown."""

    items: tuple[T, ...]
    more: int

    @property
    def more_text(self) -> str:
        """The count of the rest with thousands separators, as staff read it: 3,812."""
        return f"{self.more:,}"


def first(items: Sequence[T], limit: int = LIST_LIMIT) -> Shown[T]:
    """The first limit items, and how many more there are."""
    return Shown(tuple(items[:limit]), max(len(items) - limit, 0))


def listed(items: Sequence[T], build: Callable[[T], U], limit: int = LIST_LIMIT) -> Shown[U]:
    """build() of the first limit items only (5,000 failures cost no more than 100), and how many more there are."""
    return Shown(tuple(build(item) for item in items[:limit]), max(len(items) - limit, 0))
