"""The SMTP mailer against a real SMTP server on loopback (aiosmtpd): what arrives, the login,
TLS, and which failures mean "send later" (DependencyUnavailable) or "never" (UndeliverableEmail).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from loguru import logger

from app.application.ports import Mail
from app.config.settings import Settings, SmtpSecurity
from app.domain.shared import DependencyUnavailable
from app.domain.users.errors import UndeliverableEmail
from app.infrastructure.mail import SmtpMailer, build_mailer
from tests.conftest import free_port, settings_with
from tests.smtp import SmtpServer, running_smtp_server

MAIL = Mail(to="someone@example.org", subject="Reset your password", text="Voilà: the link.\n")
SENDER = "no-reply@app.test"


def mailer_on(
    settings: Settings, port: int, *, tls: ssl.SSLContext | None = None, **changes: object
) -> SmtpMailer:
    """The mailer of the run's settings pointed at 127.0.0.1:`port`, plain, no login."""
    values: dict[str, object] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": SmtpSecurity.NONE,
        "smtp_username": "",
        "smtp_password": "",
        "smtp_from": f"App <{SENDER}>",
        "smtp_timeout_seconds": 5.0,
    }
    return build_mailer(settings_with(settings, **(values | changes)), tls=tls)


@pytest.fixture
def mailer(base_settings: Settings, smtp_server: SmtpServer) -> SmtpMailer:
    return mailer_on(base_settings, smtp_server.port)


async def test_a_message_arrives_with_its_headers_and_text(mailer, smtp_server):
    await mailer.send(MAIL)

    [received] = await smtp_server.wait_for(1)
    assert (received.sender, received.recipients, received.login) == (SENDER, (MAIL.to,), None)
    message = received.message
    assert (message["From"], message["To"], message["Subject"]) == (
        f"App <{SENDER}>",
        MAIL.to,
        MAIL.subject,
    )
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@app.test>")
    assert abs(parsedate_to_datetime(message["Date"]) - datetime.now(UTC)) < timedelta(minutes=5)
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == MAIL.text


async def test_each_message_has_its_own_id(mailer, smtp_server):
    await mailer.send(MAIL)
    await mailer.send(MAIL)

    first, second = await smtp_server.wait_for(2)
    assert first.message["Message-ID"] != second.message["Message-ID"]


async def test_one_log_line_names_the_recipients_domain_only(mailer, smtp_server):
    lines: list[str] = []
    # The adapter's own lines: the aiosmtpd server in this process logs its side too.
    sink = logger.add(
        lines.append,
        level="DEBUG",
        format="{message}",
        diagnose=False,
        filter="app.infrastructure.mail",
    )
    try:
        await mailer.send(MAIL)
    finally:
        logger.remove(sink)

    assert len(lines) == 1
    assert "example.org" in lines[0]
    assert "someone" not in lines[0] and MAIL.subject not in lines[0]


async def test_it_logs_in_when_a_user_name_is_set(base_settings):
    with running_smtp_server(free_port(), credentials={"app": "s3cret"}) as server:
        mailer = mailer_on(base_settings, server.port, smtp_username="app", smtp_password="s3cret")
        await mailer.send(MAIL)

        [received] = await server.wait_for(1)
    assert received.login == "app"


async def test_a_refused_login_means_later_not_undeliverable(base_settings):
    # Wrong credentials are the operator's to fix; the address is not at fault.
    with running_smtp_server(free_port(), credentials={"app": "s3cret"}) as server:
        mailer = mailer_on(base_settings, server.port, smtp_username="app", smtp_password="no")
        with pytest.raises(DependencyUnavailable, match="535"):
            await mailer.send(MAIL)
    assert server.received == []


async def test_a_closed_port_is_unavailable(base_settings):
    with pytest.raises(DependencyUnavailable, match="refused"):
        await mailer_on(base_settings, free_port()).send(MAIL)


@pytest.mark.parametrize(
    ("command", "reply", "error"),
    [
        ("RCPT", "450 4.2.1 Mailbox busy, try later", DependencyUnavailable),
        ("DATA", "451 4.3.0 Local error, try later", DependencyUnavailable),
        ("RCPT", "550 5.1.1 No such user", UndeliverableEmail),
        ("DATA", "554 5.7.1 Message refused", UndeliverableEmail),
    ],
)
async def test_a_temporary_refusal_means_later_and_a_permanent_one_never(
    mailer, smtp_server, command, reply, error
):
    smtp_server.refuse(command, reply)

    with pytest.raises(error, match=reply[:3]):
        await mailer.send(MAIL)
    assert smtp_server.received == []


async def test_undeliverable_keeps_the_servers_reason_without_the_address(mailer, smtp_server):
    smtp_server.refuse("RCPT", f"550 5.1.1 <{MAIL.to.upper()}>: Recipient address rejected")

    with pytest.raises(UndeliverableEmail) as refused:
        await mailer.send(MAIL)
    assert "550" in str(refused.value) and "Recipient address rejected" in str(refused.value)
    assert "someone" not in str(refused.value).lower()


async def test_a_server_that_never_answers_times_out_without_blocking_the_loop(base_settings):
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never speaks
        mailer = mailer_on(base_settings, silent.getsockname()[1], smtp_timeout_seconds=0.3)
        ticker = asyncio.create_task(tick())
        try:
            with pytest.raises(DependencyUnavailable, match="timed out"):
                await mailer.send(MAIL)
        finally:
            ticker.cancel()
    assert ticks > 0  # the loop ran while smtplib waited


# --- TLS: a certificate for 127.0.0.1 made here, trusted only by the context the test passes.


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """The client's default context (verification on), trusting the test's certificate."""
    return ssl.create_default_context(cafile=certificate[0])


@pytest.fixture
def starttls_server(server_tls: ssl.SSLContext) -> Iterator[SmtpServer]:
    with running_smtp_server(free_port(), starttls=server_tls) as server:
        yield server


async def test_starttls_upgrades_to_a_verified_certificate(
    base_settings, starttls_server, trusting
):
    mailer = mailer_on(
        base_settings, starttls_server.port, smtp_security=SmtpSecurity.STARTTLS, tls=trusting
    )
    await mailer.send(MAIL)

    [received] = await starttls_server.wait_for(1)
    assert received.recipients == (MAIL.to,)


async def test_an_untrusted_certificate_is_unavailable(base_settings, starttls_server):
    mailer = mailer_on(
        base_settings, starttls_server.port, smtp_security=SmtpSecurity.STARTTLS, tls=None
    )

    with pytest.raises(DependencyUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        await mailer.send(MAIL)
    assert starttls_server.received == []


async def test_a_certificate_for_another_host_is_unavailable(
    base_settings, starttls_server, trusting
):
    # Trusted, but issued for 127.0.0.1 alone: the host name is checked too.
    mailer = mailer_on(
        base_settings,
        starttls_server.port,
        smtp_host="localhost",
        smtp_security=SmtpSecurity.STARTTLS,
        tls=trusting,
    )

    with pytest.raises(DependencyUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        await mailer.send(MAIL)
    assert starttls_server.received == []


async def test_starttls_never_falls_back_to_plain_text(base_settings, smtp_server, trusting):
    mailer = mailer_on(
        base_settings, smtp_server.port, smtp_security=SmtpSecurity.STARTTLS, tls=trusting
    )

    with pytest.raises(DependencyUnavailable, match="STARTTLS"):
        await mailer.send(MAIL)
    assert smtp_server.received == []


async def test_tls_speaks_tls_from_the_first_byte(base_settings, server_tls, trusting):
    with running_smtp_server(free_port(), tls=server_tls) as server:
        mailer = mailer_on(base_settings, server.port, smtp_security=SmtpSecurity.TLS, tls=trusting)
        await mailer.send(MAIL)

        [received] = await server.wait_for(1)
    assert received.recipients == (MAIL.to,)
