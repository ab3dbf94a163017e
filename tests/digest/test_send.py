"""Sending over real SMTP servers (aiosmtpd): plain, STARTTLS + login, SMTPS + login, and the ways it fails."""

from __future__ import annotations

import smtplib
import ssl

import pytest

from mailout.send import DigestSendError, send_digest
from tests.digest.helpers import TO, parse, sample_message, settings_for
from tests.fixtures.smtp import SmtpServer, free_port

# aiosmtpd warns about AUTH without STARTTLS even when the whole connection is implicit TLS (SMTPS).
SMTPS_AUTH_WARNING = "ignore:Requiring AUTH while not requiring TLS:UserWarning"


def test_plain_smtp_delivers_one_message_to_every_recipient(smtp_server: SmtpServer) -> None:
    message = sample_message()
    result = send_digest(message, settings_for(smtp_server))
    assert result.accepted == TO and result.refused == ()
    assert len(smtp_server.received) == 1
    got = smtp_server.received[0]
    assert got.mail_from == "szlgbjdjc@163.com"
    assert got.rcpt_tos == TO
    assert parse(got.content)["Message-ID"] == message["Message-ID"]


def test_starttls_with_login_delivers(smtp_starttls_server: SmtpServer) -> None:
    server = smtp_starttls_server
    send_digest(sample_message(), settings_for(server), ssl_context=server.client_context())
    assert len(server.received) == 1
    assert server.authenticator is not None and server.authenticator.attempts == 1
    assert parse(server.received[0].content)["X-Intake-Digest"] == "1"


@pytest.mark.filterwarnings(SMTPS_AUTH_WARNING)
def test_implicit_tls_with_login_delivers(smtp_ssl_server: SmtpServer) -> None:
    server = smtp_ssl_server
    send_digest(sample_message(), settings_for(server), ssl_context=server.client_context())
    assert len(server.received) == 1


def test_wrong_password_is_a_digest_send_error_that_never_shows_the_password(
    smtp_starttls_server: SmtpServer,
) -> None:
    server = smtp_starttls_server
    settings = settings_for(server, smtp_password="expired-authcode-XYZ")
    with pytest.raises(DigestSendError) as info:
        send_digest(sample_message(), settings, ssl_context=server.client_context())
    assert "授权码" in str(info.value) and "expired-authcode-XYZ" not in str(info.value)
    assert isinstance(info.value.__cause__, smtplib.SMTPAuthenticationError)
    assert server.received == []


@pytest.mark.filterwarnings(SMTPS_AUTH_WARNING)
def test_untrusted_certificate_is_refused(smtp_ssl_server: SmtpServer) -> None:
    with pytest.raises(DigestSendError) as info:
        send_digest(sample_message(), settings_for(smtp_ssl_server), ssl_context=ssl.create_default_context())
    assert isinstance(info.value.__cause__, ssl.SSLError | OSError)
    assert smtp_ssl_server.received == []


def test_plain_mode_against_a_server_that_requires_starttls_fails_cleanly(smtp_starttls_server: SmtpServer) -> None:
    settings = settings_for(smtp_starttls_server, smtp_security="none", smtp_user="")
    with pytest.raises(DigestSendError, match="none"):
        send_digest(sample_message(), settings)
    assert smtp_starttls_server.received == []


def test_nothing_listening_is_a_digest_send_error_from_the_connection_error() -> None:
    from core.settings import Settings

    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none", smtp_timeout=5.0,
                        digest_from="a@b.cn", digest_to=("c@d.cn",))
    with pytest.raises(DigestSendError, match=r"127\.0\.0\.1") as info:
        send_digest(sample_message(), settings)
    assert isinstance(info.value.__cause__, ConnectionRefusedError)


def test_missing_addresses_are_named_before_connecting(smtp_server: SmtpServer) -> None:
    with pytest.raises(DigestSendError, match="INTAKE_DIGEST_TO"):
        send_digest(sample_message(), settings_for(smtp_server, digest_to=()))
    with pytest.raises(DigestSendError, match="INTAKE_DIGEST_FROM"):
        send_digest(sample_message(), settings_for(smtp_server, digest_from=""))
    assert smtp_server.received == []
