"""Configure logging for the service: plain or JSON lines on stderr, with secrets masked out."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

from core.secrets import MASK, mask
from core.settings import Settings

__all__ = ["MASK", "JsonFormatter", "RedactSecrets", "setup_logging"]


class RedactSecrets(logging.Filter):
    """Mask every known secret (in any form core.secrets.mask knows) in a record's message and traceback.

    On a handler it masks what the service prints; on a logger (the IMAP adapter attaches one to its own and to
    imapclient's) it works whatever handlers the application or a test set up. add() learns more secrets.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = tuple(s for s in secrets if s)

    def add(self, *secrets: str) -> None:
        self.secrets = tuple(dict.fromkeys([*self.secrets, *(s for s in secrets if s)]))

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        text = record.getMessage()
        masked = mask(text, self.secrets)
        if masked != text:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # The formatter would print the exception from exc_info; give it the masked text to print instead.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text, self.secrets)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            data["exception"] = record.exc_text  # already masked by RedactSecrets
        elif record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(settings: Settings, level: int = logging.INFO) -> None:
    """Send log lines to stderr in the configured format; idempotent."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets((settings.imap_password, settings.smtp_password)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("imapclient", "apscheduler.executors", "alembic", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
