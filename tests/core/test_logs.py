"""Service logging: plain or JSON lines, and secrets masked whatever code logs them."""

from __future__ import annotations

import json
import logging

import pytest

from core.logs import setup_logging
from core.settings import Settings


def test_json_format_writes_one_object_a_line_with_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(Settings(log_format="json"))
    logging.getLogger("ingest.poll").info("folder %s: %s messages", "INBOX", 3)
    line = capsys.readouterr().err.strip()
    data = json.loads(line)
    assert data["message"] == "folder INBOX: 3 messages"
    assert data["level"] == "INFO" and data["logger"] == "ingest.poll"


def test_a_secret_in_any_log_line_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(Settings(imap_password="abcd1234授权码", smtp_password="smtp-secret-9"))
    logging.getLogger("imapclient").warning("LOGIN user abcd1234授权码 failed")
    logging.getLogger("any").error("sent with %s", "smtp-secret-9")
    err = capsys.readouterr().err
    assert "abcd1234授权码" not in err and "smtp-secret-9" not in err
    assert err.count("****") == 2


def test_a_secret_echoed_base64_or_inside_a_traceback_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    import base64

    setup_logging(Settings(imap_password="XKQJZPWBRTNMLHGF", log_format="json"))
    blob = base64.b64encode(b"\0user@163.com\0XKQJZPWBRTNMLHGF").decode()
    logging.getLogger("imapclient.imaplib").warning("< a001 NO bad credentials %s", blob)
    try:
        raise RuntimeError("server said: password XKQJZPWBRTNMLHGF")
    except RuntimeError:
        logging.getLogger("scheduler").exception("poll crashed")
    err = capsys.readouterr().err
    assert "XKQJZPWBRTNMLHGF" not in err and blob[8:24] not in err
    lines = [json.loads(line) for line in err.strip().splitlines()]
    assert "****" in lines[0]["message"] and "password ****" in lines[1]["exception"]
