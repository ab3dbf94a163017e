"""Benchmark: how long from a mail reaching the mailbox to its 回执 reaching the SMTP server, with `intake run` up.

A real Dovecot and a real SMTP server (aiosmtpd); the service runs as `python scheduler.py` with IDLE on,
receipts on and an interval poll of an hour, so only IDLE can be what reads the mail. N mails (default 20), each
with a .docx form, are appended one at a time; each latency is append → the receipt accepted by the SMTP server.
The floor, measured in the same run: append → a bare imapclient IDLE connection hearing EXISTS. The goal is a
receipt in under 10 s (median and max); the ratio says what the service adds to the server's own notice.

    .venv/bin/python -m bench.bench_idle [--mails 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.builders import DOCX, branch_mail, form_docx
from tests.fixtures.dovecot import DovecotUser, start_dovecot
from tests.fixtures.smtp import RecordingHandler, free_port

REPO = Path(__file__).resolve().parents[1]


def wait(predicate: Callable[[], bool], timeout: float) -> float:
    """Seconds until predicate holds (polled every 20 ms); raises after timeout."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"not within {timeout} s")
        time.sleep(0.02)
    return time.monotonic() - start


def mail(n: int) -> bytes:
    return branch_mail(subject=f"第{n}支部情况表", message_id=f"<bench-idle-{n}@163.com>",
                       sender=f"支部{n} <branch{n}@163.com>",
                       attachments=[("情况表.docx", form_docx(org=f"苏州市第{n}离退休干部党支部"), DOCX)])


def floor(user: DovecotUser, count: int) -> list[float]:
    """append → EXISTS heard by a bare IDLE connection, count times."""
    out = []
    with user.client() as client:
        client.select_folder("INBOX", readonly=True)
        for n in range(count):
            client.idle()
            start = time.monotonic()
            user.append("INBOX", mail(10_000 + n), when=datetime.now(UTC))
            while not any(len(a) > 1 and a[1] == b"EXISTS" for a in client.idle_check(timeout=5)):
                pass
            out.append(time.monotonic() - start)
            client.idle_done()
    return out


def service_env(user: DovecotUser, smtp_port: int, data: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "INTAKE_DATA_DIR": str(data),
        "INTAKE_IMAP_HOST": user.host, "INTAKE_IMAP_PORT": str(user.port), "INTAKE_IMAP_SSL": "false",
        "INTAKE_IMAP_USER": user.user, "INTAKE_IMAP_PASSWORD": user.password, "INTAKE_SMTP_HOST": "127.0.0.1",
        "INTAKE_SMTP_PORT": str(smtp_port), "INTAKE_SMTP_SECURITY": "none", "INTAKE_RECEIPTS": "all",
        "INTAKE_RECEIPT_DAILY_LIMIT": "1000", "INTAKE_POLL_MINUTES": "60", "INTAKE_DIGEST_TO": "zzc@example.org",
        "INTAKE_DIGEST_FROM": "intake@example.org",
    }


def measure(user: DovecotUser, count: int, data: Path) -> list[float]:
    """append → receipt at the SMTP server, with the service running, count times."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    log = data / "service.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, str(REPO / "scheduler.py")], env=service_env(user, port, data),
                                cwd=REPO, stdout=sink, stderr=sink)
    try:
        wait(lambda: "IDLE on INBOX" in log.read_text(errors="replace"), 60)
        time.sleep(2)  # let the first interval poll and the missed-digest run finish

        def receipts() -> int:
            return sum(b"X-Intake-Receipt" in r.content for r in handler.received)

        out = []
        for n in range(count):
            before = receipts()
            start = time.monotonic()
            user.append("INBOX", mail(n), when=datetime.now(UTC))
            wait(lambda b=before: receipts() > b, 60)  # type: ignore[misc]
            out.append(time.monotonic() - start)
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=20)
    args = parser.parse_args()
    server = start_dovecot()
    try:
        base = floor(server.add_user(), args.mails)
        with tempfile.TemporaryDirectory() as tmp:
            got = measure(server.add_user(), args.mails, Path(tmp))
    finally:
        server.stop()
    med, worst, fmed = statistics.median(got), max(got), statistics.median(base)
    print(f"IDLE floor (append -> EXISTS heard): median {fmed * 1000:.0f} ms, max {max(base) * 1000:.0f} ms")
    print(f"receipt latency over {args.mails} mails: median {med:.2f} s, max {worst:.2f} s "
          f"(goal < 10 s); ratio to the floor {med / fmed:.1f}x")


if __name__ == "__main__":
    main()
