"""The console inside the service: `intake run` (python scheduler.py) with INTAKE_WEB_PORT serves it beside the
poll, and SIGTERM stops both within the service's 10 s; a console session is served during a poll."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

from tests.fixtures.dovecot import DovecotUser
from tests.fixtures.smtp import SmtpServer
from tests.test_scheduler import SAMPLES, service_env, start_service, stop_service, wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as response:
        data: dict[str, object] = json.loads(response.read())
        return data


def answers(url: str) -> bool:
    try:
        return get_json(url).get("db") == "ok"
    except OSError:
        return False


def test_the_service_serves_the_console_when_intake_web_port_is_set_and_stops_it_on_sigterm(
    dovecot_user: DovecotUser, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    db = tmp_path / "svc.sqlite3"
    log_path = tmp_path / "service.log"
    port = free_port()
    dovecot_user.append("INBOX", (SAMPLES / "01-163-gbk-docx.eml").read_bytes())
    env = service_env(dovecot_user, smtp_server, db, INTAKE_WEB_PORT=str(port))
    proc = start_service(env, log_path)
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/healthz"), 60, "the console")
        wait_for(lambda: "poll done:" in log_path.read_text(errors="replace"), 60, "the first poll")
        health = get_json(f"http://127.0.0.1:{port}/healthz")
        assert health["last_poll_ok"] is True
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as page:
            assert "登录" in page.read().decode()
    finally:
        stop_service(proc, log_path)  # asserts exit 0 within 10 s
    assert not answers(f"http://127.0.0.1:{port}/healthz")
    text = log_path.read_text(errors="replace")
    assert "console listening on" in text and "console stopped" in text and "service stopped" in text


def test_without_intake_web_port_no_console_is_started(
    dovecot_user: DovecotUser, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    db = tmp_path / "svc.sqlite3"
    log_path = tmp_path / "service.log"
    proc = start_service(service_env(dovecot_user, smtp_server, db), log_path)
    try:
        wait_for(lambda: "poll done:" in log_path.read_text(errors="replace"), 60, "the first poll")
    finally:
        stop_service(proc, log_path)
    assert "console" not in log_path.read_text(errors="replace")
