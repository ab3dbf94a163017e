"""Send a composed digest over SMTP (implicit TLS, STARTTLS or plain; login when a user is set)."""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from core.settings import Settings
from digest.compose import address_of

log = logging.getLogger(__name__)


class DigestSendError(RuntimeError):
    """The digest could not be handed to the SMTP server; the text names the server, never a secret."""


@dataclass(frozen=True)
class SendResult:
    accepted: tuple[str, ...]
    refused: tuple[str, ...]


def envelope_of(settings: Settings) -> tuple[str, list[str]]:
    """Envelope sender and recipients from INTAKE_DIGEST_FROM and INTAKE_DIGEST_TO."""
    sender = address_of(settings.digest_from)
    if not sender:
        raise DigestSendError("INTAKE_DIGEST_FROM is not set to an e-mail address; the digest cannot be sent")
    recipients = [a for a in (address_of(r) for r in settings.digest_to) if a]
    if not recipients:
        raise DigestSendError("INTAKE_DIGEST_TO is not set; the digest has nobody to go to")
    return sender, recipients


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


def send_digest(message: EmailMessage, settings: Settings, *, ssl_context: ssl.SSLContext | None = None) -> SendResult:
    """Hand the message to INTAKE_SMTP_HOST; raise DigestSendError (from the original) when it was not accepted."""
    if not settings.smtp_host:
        raise DigestSendError("INTAKE_SMTP_HOST is not set; write the digest to the outbox instead")
    sender, recipients = envelope_of(settings)
    data = message.as_bytes(policy=email.policy.SMTP)
    context = ssl_context or ssl.create_default_context()
    where = f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})"
    message_id = message.get("Message-ID", "")
    try:
        smtp = _connect(settings, context)
        try:
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            refused = smtp.sendmail(sender, recipients, data)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    except smtplib.SMTPAuthenticationError as exc:
        raise DigestSendError(
            f"SMTP login to {where} as {settings.smtp_user} failed ({exc.smtp_code}): check INTAKE_SMTP_PASSWORD "
            "(for 163 mail: the 授权码, not the web password)"
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise DigestSendError(f"{where} refused every recipient: {', '.join(exc.recipients)}") from exc
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise DigestSendError(f"sending the digest via {where} failed: {type(exc).__name__}: {exc}") from exc
    refused_list = tuple(sorted(refused))
    accepted = tuple(r for r in recipients if r not in refused)
    if refused_list:
        log.warning("digest %s: %s refused %s", message_id, where, ", ".join(refused_list))
    log.info("digest %s sent via %s to %d recipients", message_id, where, len(accepted))
    return SendResult(accepted=accepted, refused=refused_list)
