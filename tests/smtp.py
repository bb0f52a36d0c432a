"""A local SMTP server for tests (aiosmtpd) that keeps the messages it accepts.

    with running_smtp_server(free_port()) as smtp:   # or the `smtp_server` fixture
        ...                                          # send to 127.0.0.1:smtp.port
        [received] = await smtp.wait_for(1)          # parsed, with the envelope and the login
        smtp.refuse("RCPT", "550 5.1.1 No such user")  # every later recipient is refused

It runs in a thread with an event loop of its own, so a client that blocks the test's loop
(smtplib, a Celery worker in process) still reaches it. It offers AUTH without TLS.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Literal, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Command = Literal["RCPT", "DATA"]


@dataclass(frozen=True, slots=True)
class Received:
    sender: str  # the envelope's MAIL FROM
    recipients: tuple[str, ...]  # the envelope's RCPT TO
    message: EmailMessage
    login: str | None  # the AUTH user name, None when the client did not log in


class SmtpServer:
    """aiosmtpd's handler, and what a test reads of it and tells it."""

    def __init__(self, port: int, credentials: Mapping[str, str]) -> None:
        self.port = port
        self.received: list[Received] = []
        self._credentials = dict(credentials)
        self._replies: dict[Command, str] = {}

    def refuse(self, command: Command, reply: str) -> None:
        """Answer `reply` (`450 ...` temporary, `550 ...` permanent) to every later RCPT or
        end of DATA, instead of accepting."""
        if reply[:1] not in ("4", "5"):
            raise ValueError(f"not a refusal: {reply!r}")
        self._replies[command] = reply

    async def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        """The first `count` messages once they have arrived; the test fails after `timeout` s."""
        try:
            async with asyncio.timeout(timeout):
                while len(self.received) < count:
                    await asyncio.sleep(0.02)
        except TimeoutError:
            raise AssertionError(
                f"{len(self.received)} of {count} messages arrived within {timeout} s"
            ) from None
        return self.received[:count]

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if "RCPT" in self._replies:
            return self._replies["RCPT"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if "DATA" in self._replies:
            return self._replies["DATA"]
        # The wire's CRLF line ends become Python's, so a body reads back as it was written.
        content = cast(bytes, envelope.original_content or envelope.content)
        message = message_from_bytes(content.replace(b"\r\n", b"\n"), policy=policy.default)
        login = session.auth_data if session.authenticated else None
        self.received.append(
            Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), message, login)
        )
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        refused = AuthResult(success=False, handled=False)  # aiosmtpd answers 535
        if not isinstance(data, LoginPassword):
            return refused
        login, password = data.login.decode(), data.password.decode()
        if self._credentials.get(login) != password:
            return refused
        return AuthResult(success=True, auth_data=login)


@contextmanager
def running_smtp_server(
    port: int,
    *,
    credentials: Mapping[str, str] | None = None,
    starttls: ssl.SSLContext | None = None,
    tls: ssl.SSLContext | None = None,
) -> Iterator[SmtpServer]:
    """A server on 127.0.0.1:`port` until the block ends. `credentials` (user: password) are
    the logins it accepts; `starttls` offers STARTTLS with that server context, `tls` speaks
    TLS from the first byte."""
    server = SmtpServer(port, credentials or {})
    controller = Controller(
        server,
        hostname="127.0.0.1",
        port=port,
        ssl_context=tls,
        tls_context=starttls,
        authenticator=server.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
