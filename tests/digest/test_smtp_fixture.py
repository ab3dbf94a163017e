"""The aiosmtpd fixture itself: it really receives a message sent with the standard library."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from tests.fixtures.smtp import SmtpServer


def test_plain_smtp_fixture_records_envelope_and_bytes(smtp_server: SmtpServer) -> None:
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["To"] = "b@example.com"
    msg["Subject"] = "fixture smoke"
    msg.set_content("你好")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as smtp:
        smtp.send_message(msg)
    assert len(smtp_server.received) == 1
    got = smtp_server.received[0]
    assert got.mail_from == "a@example.com"
    assert got.rcpt_tos == ("b@example.com",)
    assert b"Subject: fixture smoke" in got.content


def test_starttls_fixture_refuses_login_before_tls(smtp_starttls_server: SmtpServer) -> None:
    with smtplib.SMTP(smtp_starttls_server.host, smtp_starttls_server.port, timeout=10) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls")
        assert not smtp.has_extn("auth")  # AUTH is only offered once the connection is encrypted
        smtp.starttls(context=smtp_starttls_server.client_context())
        smtp.ehlo()
        assert smtp.has_extn("auth")
        code, _ = smtp.login(smtp_starttls_server.user, smtp_starttls_server.password)
        assert code == 235
