"""Read the 情况表 out of attachment bytes; knows nothing of mail or storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.vocab import FailureKind
from parsers.model import Failure, ParsedForm, ParseResult

if TYPE_CHECKING:
    from parsers.api import parse

__all__ = ["Failure", "FailureKind", "ParseResult", "ParsedForm", "parse"]


def __getattr__(name: str) -> Any:
    """parse is imported when first asked for, so that the reader child processes (python -m parsers.worker) start
    without loading the Word, Excel and field readers they never use."""
    if name == "parse":
        from parsers.api import parse

        return parse
    raise AttributeError(f"module 'parsers' has no attribute {name!r}")
