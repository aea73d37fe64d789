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
    EgressFailure,
    EgressTimeout,
    ReplyTimeout,
    SmtpError,
    SmtpSession,
)
from verifalia_server.engine.smtp.egress import Direct, Egress, Router
from verifalia_server.engine.smtp.limiter import SessionLimiter
from verifalia_server.engine.smtp.replies import Reply, classify_sender, throttles
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
    # The egress failed itself (proxy down, refusing us, too slow): another egress may still reach the MX.
    egress_failed: bool = False


def evidence_egress(egress: Egress) -> str | None:
    """How evidence names an egress: its label, or None for a direct connection."""
    return None if isinstance(egress, Direct) else egress.label


def session_key(ip: str, egress: str | None) -> str:
    """The limiter key of a session: the exchanger address, per egress (plain address when direct)."""
    return ip if egress is None else f"{ip} via {egress}"


@dataclass(frozen=True, slots=True)
class _Path:
    """One attempt's way to an exchanger: its name, its address and the egress it goes out through."""

    name: str
    ip: str
    egress: Egress

    @property
    def tag(self) -> str | None:
        """The egress as evidence names it."""
        return evidence_egress(self.egress)

    def reply(self, command: str, reply: Reply) -> Evidence:
        """Evidence for a reply on this path."""
        return reply_evidence(self.name, command, reply, egress=self.tag)

    def error(self, error: SmtpError) -> Evidence:
        """Evidence for a failure on this path."""
        return error_evidence(self.name, error, egress=self.tag)


@dataclass(slots=True)
class Connection:
    """A session inside a mail transaction (MAIL FROM accepted), holding a slot of the limiter."""

    session: SmtpSession
    host_name: str
    ip: str
    smtputf8: bool
    mail_command: str
    hello_evidence: Evidence
    pipelining: bool = False
    # The egress label the session went out through (as in evidence); None when it connected directly.
    egress: str | None = None

    @property
    def session_key(self) -> str:
        """The limiter key this connection holds a slot of."""
        return session_key(self.ip, self.egress)


def reply_evidence(host_name: str, command: str, reply: Reply, *, egress: str | None = None) -> Evidence:
    """Evidence for a reply the server gave to `command`, through `egress` (a label, None when direct)."""
    return Evidence(host_name, command, reply.code, reply.enhanced_code, reply.text, egress)


def error_evidence(host_name: str, error: SmtpError, *, egress: str | None = None) -> Evidence:
    """Evidence for a command that got no usable reply, through `egress` (a label, None when direct)."""
    return Evidence(host_name, error.command, None, None, error.detail, egress)


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
        self._router = Router(config.egress_plan)

    async def open(
        self, route: MailRoute, smtputf8_wanted: bool, *, domain: str = ""
    ) -> Connection | Outcome:
        """Return a connection inside a mail transaction, or the outcome of the last attempt.

        `domain`, the recipients' domain, lets egress rules match it besides the exchanger's name.
        """
        outcome: Outcome | None = None
        failed: set[tuple[Egress, bool]] = set()
        # RFC 5321 §5.1: try the exchangers in preference order, each of their addresses in turn.
        for name, ip in (
            (exchanger.name, ip) for exchanger in route.exchangers for ip in exchanger.addresses
        ):
            opened = await self._through_pool(name, ip, domain, failed, smtputf8_wanted)
            if opened is None:
                continue
            if isinstance(opened, Connection):
                return opened
            outcome = opened.outcome
            if not opened.try_next:
                break
        if outcome is None:
            raise ValueError("a mail route needs at least one exchanger address")
        return outcome

    def close(self, connection: Connection) -> None:
        """Close the connection's session and give back its slot."""
        connection.session.abort()
        self._limiter.release(connection.session_key)

    async def _through_pool(
        self, name: str, ip: str, domain: str, failed: set[tuple[Egress, bool]], smtputf8_wanted: bool
    ) -> Connection | _Refusal | None:
        """Try the address through each egress its rule names, in order, until one is not itself at fault.

        Egresses that failed themselves join `failed`, per address family (a source address may serve
        one family only), and are not tried again for it; None when none was left.
        """
        refusal: _Refusal | None = None
        for egress in self._router.route(name, domain):
            # RFC 4291 §2.2: only IPv6 addresses are written with colons.
            tried = (egress, ":" in ip)
            if tried in failed:
                continue
            path = _Path(name, ip, egress)
            key = session_key(ip, path.tag)
            await self._limiter.acquire(key)
            try:
                opened = await self._open_host(path, smtputf8_wanted)
            except BaseException:
                self._limiter.release(key)
                raise
            if isinstance(opened, Connection):
                return opened
            self._limiter.release(key)
            evidence = opened.outcome.evidence
            if throttles(evidence.reply_code, evidence.reply_text):
                # Refused for this client's connections: fewer sessions, after a pause (pacing.py).
                self._limiter.pace(key).connections_refused()
            if not opened.egress_failed:
                return opened
            failed.add(tried)
            refusal = opened
        return refusal

    async def _open_host(self, path: _Path, smtputf8_wanted: bool) -> Connection | _Refusal:
        config = self._config
        try:
            session = await SmtpSession.connect(
                path.ip,
                config.smtp_port,
                config.smtp_connect_timeout,
                config.smtp_command_timeout,
                egress=path.egress,
            )
        except ConnectTimeout as error:
            outcome = Outcome(Status.SMTP_CONNECTION_TIMEOUT, path.error(error))
            return _Refusal(outcome, True, egress_failed=isinstance(error, EgressTimeout))
        except ConnectFailure as error:
            outcome = Outcome(Status.SMTP_CONNECTION_FAILURE, path.error(error))
            return _Refusal(outcome, True, egress_failed=isinstance(error, EgressFailure))
        try:
            opened = await self._converse(session, path, smtputf8_wanted)
        except ReplyTimeout as error:
            # A greeting that never comes is a tarpit or a dead server: a connection-level timeout.
            status = (
                Status.SMTP_CONNECTION_TIMEOUT
                if error.command == "CONNECT"
                else Status.MAILBOX_VALIDATION_TIMEOUT
            )
            opened = _Refusal(Outcome(status, path.error(error)), True)
        except ConnectionDropped as error:
            opened = _Refusal(Outcome(Status.SMTP_CONNECTION_FAILURE, path.error(error)), True)
        except DialogError as error:
            opened = _Refusal(Outcome(Status.SMTP_DIALOG_ERROR, path.error(error)), False)
        except BaseException:
            session.abort()
            raise
        if isinstance(opened, _Refusal):
            await session.quit()
        return opened

    async def _converse(
        self, session: SmtpSession, path: _Path, smtputf8_wanted: bool
    ) -> Connection | _Refusal:
        greeting = await session.greeting()
        if greeting.code != 220:
            # RFC 5321 §4.3.1: 220 opens the session; 421/4yz is transient, 554 means no service for us.
            status = (
                Status.SERVER_TEMPORARY_UNAVAILABLE
                if greeting.is_transient
                else Status.LOCAL_END_POINT_REJECTED
            )
            return _Refusal(Outcome(status, path.reply("CONNECT", greeting)), greeting.is_transient)
        hello = await self._hello(session, path)
        if isinstance(hello, _Refusal):
            return hello
        hello_command, hello_reply, extensions = hello
        # RFC 3207 §4: opportunistic STARTTLS; after 220 the handshake, then EHLO again (§4.2).
        if (
            self._tls is not None
            and "STARTTLS" in extensions
            and (await session.command("STARTTLS")).code == 220
        ):
            await session.starttls(self._tls, path.name)
            hello = await self._hello(session, path)
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
            evidence = path.reply(mail_command, mail_reply)
            return _Refusal(Outcome(refused, evidence), refused is Status.SERVER_TEMPORARY_UNAVAILABLE)
        return Connection(
            session,
            path.name,
            path.ip,
            smtputf8,
            mail_command,
            path.reply(hello_command, hello_reply),
            # RFC 2920 §3.1: commands may be sent in groups once the server advertises PIPELINING.
            pipelining="PIPELINING" in extensions,
            egress=path.tag,
        )

    async def _hello(self, session: SmtpSession, path: _Path) -> tuple[str, Reply, set[str]] | _Refusal:
        # RFC 5321 §4.1.1.1: EHLO names the client; each egress may carry its own name.
        helo_name = path.egress.helo_name or self._config.helo_name
        command = f"EHLO {helo_name}"
        reply = await session.command(command)
        if reply.code >= 500:
            # RFC 5321 §4.1.1.1: a server that does not know EHLO still knows HELO.
            command = f"HELO {helo_name}"
            reply = await session.command(command)
        if reply.is_positive:
            # RFC 5321 §4.1.1.1: every line after the first names one extension keyword.
            keywords = {line.split(" ", 1)[0].upper() for line in reply.lines[1:] if line}
            return command, reply, keywords
        status = (
            Status.SERVER_TEMPORARY_UNAVAILABLE if reply.is_transient else Status.LOCAL_END_POINT_REJECTED
        )
        return _Refusal(Outcome(status, path.reply(command, reply)), reply.is_transient)
