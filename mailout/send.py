"""Send one composed mail over SMTP (implicit TLS, STARTTLS or plain; login when a user is set).

Whatever goes wrong is one SendError whose text names the server and never holds a secret: the configured
passwords are masked in it, and in the server's reply kept as its cause, even when the server echoes them.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from core.settings import Settings
from mailout.compose import envelope
from mailout.mask import mask, secrets_of

log = logging.getLogger(__name__)


class SendError(RuntimeError):
    """The mail could not be handed to the SMTP server; the text names the server, never a secret."""


DigestSendError = SendError
"""The older name, still imported by cli.py; new code catches SendError."""


@dataclass(frozen=True)
class SendResult:
    accepted: tuple[str, ...]
    refused: tuple[str, ...]


def _connect(settings: Settings, context: ssl.SSLContext) -> smtplib.SMTP:
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout
    if settings.smtp_security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        smtp.ehlo()
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
    except BaseException:
        smtp.close()
        raise
    return smtp


def _scrub(exc: BaseException, secrets: tuple[str, ...], user: str) -> BaseException:
    """exc with every secret masked in its arguments and SMTP reply, so a logged traceback shows none either."""

    def clean(value: object) -> object:
        if isinstance(value, str):
            return mask(value, secrets, user)
        if isinstance(value, bytes):
            return mask(value.decode("utf-8", "replace"), secrets, user).encode("utf-8")
        return value

    exc.args = tuple(clean(a) for a in exc.args)
    if isinstance(exc, smtplib.SMTPResponseException):
        exc.smtp_error = clean(exc.smtp_error)  # type: ignore[assignment]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        exc.recipients = {k: (code, clean(text)) for k, (code, text) in exc.recipients.items()}  # type: ignore[misc]
    return exc


def _hand_over(settings: Settings, context: ssl.SSLContext, sender: str, recipients: list[str], data: bytes) -> dict:
    smtp = _connect(settings, context)
    try:
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        return smtp.sendmail(sender, recipients, data)
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def send(
    settings: Settings,
    message: EmailMessage,
    *,
    ssl_context: ssl.SSLContext | None = None,
    sender: str = "",
    recipients: Sequence[str] = (),
) -> SendResult:
    """Hand message to INTAKE_SMTP_HOST. The envelope is its From, To and Cc unless sender/recipients are given.

    Returns who was accepted and who refused; raises SendError (from the masked original) when the server took
    the mail for nobody or could not be reached.
    """
    if not settings.smtp_host:
        raise SendError("INTAKE_SMTP_HOST is not set; write the mail to the outbox instead")
    implied_sender, implied_recipients = envelope(message)
    sender = sender or implied_sender
    to = list(recipients) or implied_recipients
    if not sender or not to:
        raise SendError(f"the mail {message.get('Message-ID', '')} has no sender or no recipient address")
    data = message.as_bytes(policy=email.policy.SMTP)
    where = f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})"
    secrets, user = secrets_of(settings), settings.smtp_user
    try:
        refused = _hand_over(settings, ssl_context or ssl.create_default_context(), sender, to, data)
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(
            f"SMTP login to {where} as {user} failed ({exc.smtp_code}): check INTAKE_SMTP_PASSWORD "
            "(for 163 mail: the 授权码, not the web password)"
        ) from _scrub(exc, secrets, user)
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError(f"{where} refused every recipient: {', '.join(exc.recipients)}") from _scrub(
            exc, secrets, user
        )
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        detail = mask(f"{type(exc).__name__}: {exc}", secrets, user)
        raise SendError(f"sending the mail via {where} failed: {detail}") from _scrub(exc, secrets, user)
    refused_list = tuple(sorted(refused))
    accepted = tuple(r for r in to if r not in refused)
    message_id = message.get("Message-ID", "")
    if refused_list:
        log.warning("mail %s: %s refused %s", message_id, where, ", ".join(refused_list))
    log.info("mail %s sent via %s to %d recipients", message_id, where, len(accepted))
    return SendResult(accepted=accepted, refused=refused_list)
