"""Read the 情况表 out of attachment bytes; knows nothing of mail or storage."""

from core.vocab import FailureKind
from parsers.api import parse
from parsers.model import Failure, ParsedForm, ParseResult

__all__ = ["Failure", "FailureKind", "ParseResult", "ParsedForm", "parse"]
