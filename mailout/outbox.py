"""Write a composed digest to a folder as .eml and .html instead of sending it."""

from __future__ import annotations

import email.policy
import logging
from datetime import date
from email.message import EmailMessage
from pathlib import Path

log = logging.getLogger(__name__)


def outbox_paths(out_dir: Path, day: date) -> tuple[Path, Path]:
    stem = f"digest-{day.isoformat()}"
    return out_dir / f"{stem}.eml", out_dir / f"{stem}.html"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_outbox(message: EmailMessage, html: str, out_dir: Path, day: date) -> tuple[Path, ...]:
    """Write digest-YYYY-MM-DD.eml (the whole mail, 汇总表 included) and .html (to open in a browser)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    eml, page = outbox_paths(out_dir, day)
    _write_atomic(eml, message.as_bytes(policy=email.policy.SMTP))
    _write_atomic(page, html.encode("utf-8"))
    log.info("digest %s for %s written to %s", message.get("Message-ID", ""), day, out_dir)
    return eml, page
