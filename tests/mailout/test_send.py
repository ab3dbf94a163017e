"""Sending over real SMTP servers (aiosmtpd): plain, STARTTLS + login, SMTPS + login, and the ways it fails."""

from __future__ import annotations

import smtplib
import ssl
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from core.settings import Settings
from mailout.send import SendError, send
from tests.fixtures.smtp import SMTP_PASSWORD, SMTP_USER, RecordingHandler, SmtpServer, free_port
from tests.mailout.helpers import ORIGINAL_ID, TO, parse, reply, smtp_settings

# aiosmtpd warns about AUTH without STARTTLS even when the whole connection is implicit TLS (SMTPS).
SMTPS_AUTH_WARNING = "ignore:Requiring AUTH while not requiring TLS:UserWarning"
IMAP_AUTHCODE = "imap-authcode-QWERTY"


def test_plain_smtp_delivers_one_message_to_every_recipient_of_to_and_cc(smtp_server: SmtpServer) -> None:
    message = reply(cc=("处长 <chuzhang@example.gov.cn>",))
    result = send(smtp_settings(smtp_server), message)
    assert result.accepted == (*TO, "chuzhang@example.gov.cn") and result.refused == ()
    assert len(smtp_server.received) == 1
    got = smtp_server.received[0]
    assert got.mail_from == "szlgbjdjc@163.com"
    assert got.rcpt_tos == (*TO, "chuzhang@example.gov.cn")
    again = parse(got.content)
    assert again["Message-ID"] == message["Message-ID"] and again["In-Reply-To"] == ORIGINAL_ID


def test_an_explicit_envelope_overrides_the_headers(smtp_server: SmtpServer) -> None:
    send(smtp_settings(smtp_server), reply(), sender="bounces@163.com", recipients=["archive@example.gov.cn"])
    got = smtp_server.received[0]
    assert got.mail_from == "bounces@163.com" and got.rcpt_tos == ("archive@example.gov.cn",)


def test_starttls_with_login_delivers(smtp_starttls_server: SmtpServer) -> None:
    server = smtp_starttls_server
    send(smtp_settings(server), reply(), ssl_context=server.client_context())
    assert len(server.received) == 1
    assert server.authenticator is not None and server.authenticator.attempts == 1
    assert parse(server.received[0].content)["Auto-Submitted"] == "auto-replied"


@pytest.mark.filterwarnings(SMTPS_AUTH_WARNING)
def test_implicit_tls_with_login_delivers(smtp_ssl_server: SmtpServer) -> None:
    server = smtp_ssl_server
    send(smtp_settings(server), reply(), ssl_context=server.client_context())
    assert len(server.received) == 1


def test_wrong_password_is_a_send_error_that_never_shows_the_password(smtp_starttls_server: SmtpServer) -> None:
    server = smtp_starttls_server
    settings = smtp_settings(server, smtp_password="expired-authcode-XYZ")
    with pytest.raises(SendError) as info:
        send(settings, reply(), ssl_context=server.client_context())
    assert "授权码" in str(info.value) and "expired-authcode-XYZ" not in str(info.value)
    assert isinstance(info.value.__cause__, smtplib.SMTPAuthenticationError)
    assert server.received == []


class EchoingAuthenticator:
    """A badly behaved server's login check: it refuses, and repeats the password it was given (and the IMAP
    授权码, as a server sharing one account's secrets might) in its reply."""

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        password = auth_data.password.decode()
        return AuthResult(success=False, handled=False,
                          message=f"535 5.7.8 bad password {password} (account key {IMAP_AUTHCODE})")


@pytest.fixture
def echoing_server() -> Iterator[SmtpServer]:
    """Plain SMTP that requires a login and echoes the secrets back in its refusal."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, auth_required=True,
                            auth_require_tls=False, authenticator=EchoingAuthenticator())
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, "none", handler, SMTP_USER, SMTP_PASSWORD)
    finally:
        controller.stop()


@pytest.mark.filterwarnings(SMTPS_AUTH_WARNING)
def test_secrets_echoed_by_the_server_are_masked_in_the_error_and_its_cause(echoing_server: SmtpServer) -> None:
    settings = smtp_settings(echoing_server, imap_password=IMAP_AUTHCODE)
    with pytest.raises(SendError) as info:
        send(settings, reply())
    cause = info.value.__cause__
    assert isinstance(cause, smtplib.SMTPAuthenticationError)
    shown = "".join(traceback.format_exception(info.value)) + str(cause) + repr(cause.args)
    assert "bad password ****" in shown  # the server's words are kept, its echo of the secrets is not
    assert SMTP_PASSWORD not in shown and IMAP_AUTHCODE not in shown


@pytest.mark.filterwarnings(SMTPS_AUTH_WARNING)
def test_untrusted_certificate_is_refused(smtp_ssl_server: SmtpServer) -> None:
    with pytest.raises(SendError) as info:
        send(smtp_settings(smtp_ssl_server), reply(), ssl_context=ssl.create_default_context())
    assert isinstance(info.value.__cause__, ssl.SSLError | OSError)
    assert smtp_ssl_server.received == []


def test_plain_mode_against_a_server_that_requires_starttls_fails_cleanly(smtp_starttls_server: SmtpServer) -> None:
    settings = smtp_settings(smtp_starttls_server, smtp_security="none", smtp_user="")
    with pytest.raises(SendError, match="none"):
        send(settings, reply())
    assert smtp_starttls_server.received == []


def test_nothing_listening_is_a_send_error_from_the_connection_error() -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none", smtp_timeout=5.0)
    with pytest.raises(SendError, match=r"127\.0\.0\.1") as info:
        send(settings, reply())
    assert isinstance(info.value.__cause__, ConnectionRefusedError)


def test_no_smtp_host_or_no_recipient_is_refused_before_connecting(smtp_server: SmtpServer) -> None:
    with pytest.raises(SendError, match="INTAKE_SMTP_HOST"):
        send(Settings(), reply())
    with pytest.raises(SendError, match="no recipient"):
        send(smtp_settings(smtp_server), reply(to=()))
    assert smtp_server.received == []
