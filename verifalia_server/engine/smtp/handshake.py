"""Opening a probing session: connect, greeting, EHLO/HELO, STARTTLS and MAIL FROM, with MX fallback."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from verifalia_server.engine.config import EngineConfig
from verifalia_server.engine.dns import MailRoute
from verifalia_server.engine.smtp.client import (
    ConnectFailure,
    ConnectionDropped,
    ConnectTimeout,
    DialogError,
    ReplyTimeout,
    SmtpError,
    SmtpSession,
)
from verifalia_server.engine.smtp.limiter import SessionLimiter
from verifalia_server.engine.smtp.replies import Reply, classify_sender
from verifalia_server.engine.statuses import Status
from verifalia_server.engine.verdict import Evidence


@dataclass(frozen=True, slots=True)
class Outcome:
    """A status together with the exchange that decided it."""

    status: Status
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class _Refusal:
    outcome: Outcome
    try_next: bool


@dataclass(slots=True)
class Connection:
    """A session inside a mail transaction (MAIL FROM accepted), holding a slot of the limiter."""

    session: SmtpSession
    host_name: str
    ip: str
    smtputf8: bool
    mail_command: str
    hello_evidence: Evidence


def reply_evidence(host_name: str, command: str, reply: Reply) -> Evidence:
    """Evidence for a reply the server gave to `command`."""
    return Evidence(host_name, command, reply.code, reply.enhanced_code, reply.text)


def error_evidence(host_name: str, error: SmtpError) -> Evidence:
    """Evidence for a command that got no usable reply."""
    return Evidence(host_name, error.command, None, None, error.detail)


def tls_context() -> ssl.SSLContext:
    """A TLS context for opportunistic STARTTLS: probing sends no message, so peers are not verified."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Handshaker:
    """Opens sessions to a route's exchangers in order, falling back on connection failures and 4xx."""

    def __init__(self, config: EngineConfig, limiter: SessionLimiter) -> None:
        self._config = config
        self._limiter = limiter
        self._tls = tls_context() if config.smtp_starttls else None

    async def open(self, route: MailRoute, smtputf8_wanted: bool) -> Connection | Outcome:
        """Return a connection inside a mail transaction, or the outcome of the last host tried."""
        outcome: Outcome | None = None
        # RFC 5321 §5.1: try the exchangers in preference order, each of their addresses in turn.
        for name, ip in (
            (exchanger.name, ip) for exchanger in route.exchangers for ip in exchanger.addresses
        ):
            await self._limiter.acquire(ip)
            try:
                opened = await self._open_host(name, ip, smtputf8_wanted)
            except BaseException:
                self._limiter.release(ip)
                raise
            if isinstance(opened, Connection):
                return opened
            self._limiter.release(ip)
            outcome = opened.outcome
            if not opened.try_next:
                break
        if outcome is None:
            raise ValueError("a mail route needs at least one exchanger address")
        return outcome

    def close(self, connection: Connection) -> None:
        """Close the connection's session and give back its slot."""
        connection.session.abort()
        self._limiter.release(connection.ip)

    async def _open_host(self, name: str, ip: str, smtputf8_wanted: bool) -> Connection | _Refusal:
        config = self._config
        try:
            session = await SmtpSession.connect(
                ip, config.smtp_port, config.smtp_connect_timeout, config.smtp_command_timeout
            )
        except ConnectTimeout as error:
            return _Refusal(Outcome(Status.SMTP_CONNECTION_TIMEOUT, error_evidence(name, error)), True)
        except ConnectFailure as error:
            return _Refusal(Outcome(Status.SMTP_CONNECTION_FAILURE, error_evidence(name, error)), True)
        try:
            opened = await self._converse(session, name, ip, smtputf8_wanted)
        except ReplyTimeout as error:
            # A greeting that never comes is a tarpit or a dead server: a connection-level timeout.
            status = (
                Status.SMTP_CONNECTION_TIMEOUT
                if error.command == "CONNECT"
                else Status.MAILBOX_VALIDATION_TIMEOUT
            )
            opened = _Refusal(Outcome(status, error_evidence(name, error)), True)
        except ConnectionDropped as error:
            opened = _Refusal(Outcome(Status.SMTP_CONNECTION_FAILURE, error_evidence(name, error)), True)
        except DialogError as error:
            opened = _Refusal(Outcome(Status.SMTP_DIALOG_ERROR, error_evidence(name, error)), False)
        except BaseException:
            session.abort()
            raise
        if isinstance(opened, _Refusal):
            await session.quit()
        return opened

    async def _converse(
        self, session: SmtpSession, name: str, ip: str, smtputf8_wanted: bool
    ) -> Connection | _Refusal:
        greeting = await session.greeting()
        if greeting.code != 220:
            # RFC 5321 §4.3.1: 220 opens the session; 421/4yz is transient, 554 means no service for us.
            status = (
                Status.SERVER_TEMPORARY_UNAVAILABLE
                if greeting.is_transient
                else Status.LOCAL_END_POINT_REJECTED
            )
            return _Refusal(Outcome(status, reply_evidence(name, "CONNECT", greeting)), greeting.is_transient)
        hello = await self._hello(session, name)
        if isinstance(hello, _Refusal):
            return hello
        hello_command, hello_reply, extensions = hello
        # RFC 3207 §4: opportunistic STARTTLS; after 220 the handshake, then EHLO again (§4.2).
        if (
            self._tls is not None
            and "STARTTLS" in extensions
            and (await session.command("STARTTLS")).code == 220
        ):
            await session.starttls(self._tls, name)
            hello = await self._hello(session, name)
            if isinstance(hello, _Refusal):
                return hello
            hello_command, hello_reply, extensions = hello
        smtputf8 = "SMTPUTF8" in extensions
        # RFC 6531 §3.4: the SMTPUTF8 parameter announces UTF-8 envelope addresses.
        parameter = " SMTPUTF8" if smtputf8 and smtputf8_wanted else ""
        mail_command = f"MAIL FROM:<{self._config.sender}>{parameter}"
        mail_reply = await session.command(mail_command)
        refused = classify_sender(mail_reply)
        if refused is not None:
            evidence = reply_evidence(name, mail_command, mail_reply)
            return _Refusal(Outcome(refused, evidence), refused is Status.SERVER_TEMPORARY_UNAVAILABLE)
        return Connection(
            session, name, ip, smtputf8, mail_command, reply_evidence(name, hello_command, hello_reply)
        )

    async def _hello(self, session: SmtpSession, name: str) -> tuple[str, Reply, set[str]] | _Refusal:
        command = f"EHLO {self._config.helo_name}"
        reply = await session.command(command)
        if reply.code >= 500:
            # RFC 5321 §4.1.1.1: a server that does not know EHLO still knows HELO.
            command = f"HELO {self._config.helo_name}"
            reply = await session.command(command)
        if reply.is_positive:
            # RFC 5321 §4.1.1.1: every line after the first names one extension keyword.
            keywords = {line.split(" ", 1)[0].upper() for line in reply.lines[1:] if line}
            return command, reply, keywords
        status = (
            Status.SERVER_TEMPORARY_UNAVAILABLE if reply.is_transient else Status.LOCAL_END_POINT_REJECTED
        )
        return _Refusal(Outcome(status, reply_evidence(name, command, reply)), reply.is_transient)
