"""The SMTP mailer: the stdlib's smtplib in a worker thread, one connection per message.

One connection per message suits what the service sends (password resets, a few a minute):
nothing to keep alive or to close at exit. smtplib blocks, so each send runs in
`asyncio.to_thread`; the timeout bounds every step (connect, TLS handshake, each reply), so a
silent server costs a thread at most that long per step, never the event loop.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from loguru import logger

from app.application.ports import Mail
from app.config.settings import Settings, SmtpSecurity
from app.domain.shared import DependencyUnavailable, DomainError
from app.domain.users.errors import UndeliverableEmail


class SmtpMailer:
    """Plain text over SMTP, STARTTLS or TLS, with the certificate and host name verified.

    A refusal of the recipient or of the message is UndeliverableEmail when permanent (5xx)
    and DependencyUnavailable when temporary (4xx). Everything else that fails is
    DependencyUnavailable too: no answer, no TLS, or a refused login or sender, which are the
    operator's to fix, not the address's fault."""

    def __init__(
        self,
        host: str,
        port: int,
        security: SmtpSecurity,
        *,
        sender: str,
        username: str = "",
        password: str = "",
        timeout_seconds: float = 10.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._host, self._port, self._security = host, port, security
        self._sender, self._username, self._password = sender, username, password
        self._timeout = timeout_seconds
        # The system's CAs and the host name are checked; `tls` replaces them (a test's own CA).
        self._tls = tls or ssl.create_default_context()
        # make_msgid() would otherwise ask the resolver for this host's name on every message.
        self._id_domain = _domain(parseaddr(sender)[1]) or "localhost"

    async def send(self, mail: Mail) -> None:
        message = self._message(mail)
        await asyncio.to_thread(self._deliver, message, mail.to)
        # The recipient's domain only: addresses stay out of the logs.
        logger.info("mail {} sent to a recipient at {}", message["Message-ID"], _domain(mail.to))

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = make_msgid(domain=self._id_domain)
        message["Date"] = formatdate(usegmt=True)
        message.set_content(mail.text)
        return message

    def _deliver(self, message: EmailMessage, to: str) -> None:
        try:
            with self._session() as smtp:
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise _refusal(code, reply, to) from None  # its args name the address
        except smtplib.SMTPDataError as exc:
            raise _refusal(exc.smtp_code, exc.smtp_error, to) from None
        except (smtplib.SMTPException, OSError) as exc:  # OSError: refused, reset, timed out, TLS
            raise DependencyUnavailable(f"mail server {self._host}:{self._port}: {exc}") from exc

    @contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
        if self._security is SmtpSecurity.TLS:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._tls
            )
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        try:
            if self._security is SmtpSecurity.STARTTLS:
                smtp.starttls(context=self._tls)  # a server that does not offer it fails here
            if self._username:
                smtp.login(self._username, self._password)
            yield smtp
            # The message is accepted: a failed goodbye must not make the caller send it again.
            with suppress(smtplib.SMTPException, OSError):
                smtp.quit()
        finally:
            smtp.close()


def build_mailer(settings: Settings, *, tls: ssl.SSLContext | None = None) -> SmtpMailer:
    """The mailer of the SMTP_* settings; `tls` replaces the system's CAs (a test's own)."""
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_security,
        sender=settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout_seconds=settings.smtp_timeout_seconds,
        tls=tls,
    )


def _refusal(code: int, reply: bytes | str, to: str) -> DomainError:
    """A 5xx stays true (never send again), anything else may pass (send later)."""
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    # Servers often quote the address back; the error is logged, so it goes.
    reason = f"{code} {re.sub(re.escape(to), '<recipient>', text, flags=re.IGNORECASE)}"
    if 500 <= code < 600:
        return UndeliverableEmail(reason)
    return DependencyUnavailable(f"mail server: {reason}")


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()
