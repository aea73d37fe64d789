"""One SMTP server session: reads client commands and answers as the host's profile dictates."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

from tests.mailfarm.profiles import Banner, Hello, HostProfile, Unanswered
from tests.mailfarm.replies import Reply, reply
from tests.mailfarm.state import FarmState

COMMAND_LINE_LIMIT = 512  # RFC 5321 §4.5.3.1.4: command line length including CRLF
SIZE_LIMIT = 10_240_000
GARBAGE = b"\x00\x13\x37 HTTP/1.1 400 Bad Request \xff\xfe\x7f\r\n"

OK = reply(250, "2.0.0", "Ok")
BYE = reply(221, "2.0.0", "Bye")
SHUT_DOWN = reply(421, "4.3.2", "Service not available, closing transmission channel")
NOT_RECOGNIZED = reply(502, "5.5.2", "Error: command not recognized")
NOT_IMPLEMENTED = reply(502, "5.5.1", "Error: command not implemented")
BAD_SYNTAX = reply(500, "5.5.2", "Error: bad syntax")
LINE_TOO_LONG = reply(500, "5.5.0", "Line too long")
NEED_HELLO = reply(503, "5.5.1", "Error: send HELO/EHLO first")
NEED_MAIL = reply(503, "5.5.1", "Error: need MAIL command")
NESTED_MAIL = reply(503, "5.5.1", "Error: nested MAIL command")
NEED_RCPT = reply(503, "5.5.1", "Error: need RCPT command")
NO_VALID_RECIPIENTS = reply(554, "5.5.1", "Error: no valid recipients")
DATA_REFUSED = reply(554, "5.5.1", "Error: message data is not accepted on this host")
TLS_READY = reply(220, "2.0.0", "Ready to start TLS")
TLS_ACTIVE = reply(554, "5.5.1", "Error: TLS already active")
TLS_REQUIRED = reply(530, "5.7.0", "Must issue a STARTTLS command first")
TOO_MANY_RECIPIENTS = reply(452, "4.5.3", "Too many recipients")
MESSAGE_TOO_BIG = reply(552, "5.3.4", "Message size exceeds fixed limit")
LOCAL_PROBLEM = reply(451, "4.3.0", "Temporary local problem, try again later")
CANNOT_VRFY = reply(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery")


@dataclass(slots=True)
class _Transaction:
    """A mail transaction, from MAIL to RSET or the next EHLO (RFC 5321 §3.3)."""

    smtputf8: bool
    recipients: int = 0
    accepted: int = 0


def _split_path(argument: str, keyword: str) -> tuple[str, list[str]] | None:
    """Split `FROM:<path> params` (RFC 5321 §4.1.1.2, §4.1.1.3) into the path and its parameters."""
    head, colon, rest = argument.partition(":")
    if not colon or head.strip().upper() != keyword:
        return None
    rest = rest.lstrip()
    end = rest.rfind(">")
    if not rest.startswith("<") or end < 0:
        return None
    return rest[1:end], rest[end + 1 :].split()


def _mailbox(path: str) -> tuple[str, str] | None:
    """Split a mailbox into local part and domain, unquoting a quoted local part (RFC 5321 §4.1.2)."""
    local, at, domain = path.rpartition("@")
    if not at or not local or not domain:
        return None
    if len(local) >= 2 and local.startswith('"') and local.endswith('"'):
        local = local[1:-1].replace("\\\\", "\x00").replace("\\", "").replace("\x00", "\\")
    return local, domain


class SmtpSession:
    """Serves one client connection on one farm host."""

    def __init__(
        self,
        *,
        profile: HostProfile,
        host_name: str,
        host_ip: str,
        state: FarmState,
        tls_context: ssl.SSLContext | None,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self._profile = profile
        self._host_name = host_name
        self._host_ip = host_ip
        self._state = state
        self._tls_context = tls_context
        self._reader = reader
        self._writer = writer
        peer = writer.get_extra_info("peername")
        self._client_ip: str = peer[0] if peer else "127.0.0.1"
        self._greeted = False
        self._extended = False
        self._tls_active = False
        self._transaction: _Transaction | None = None
        self._open = True

    async def run(self) -> None:
        """Greet the client, then answer commands until QUIT, a closing reply or end of input."""
        self._state.session_opened(self._host_ip, self._client_ip)
        try:
            if not await self._greet():
                return
            while self._open:
                line = await self._read_line()
                if line is None:
                    return
                await self._handle(line)
        finally:
            self._state.session_closed(self._host_ip)

    async def _greet(self) -> bool:
        banner = self._profile.banner
        if banner is Banner.SILENT:
            while await self._receive() is not None:
                pass
            return False
        if banner is Banner.REFUSE:
            # RFC 5321 §3.1: a server may refuse service with 421 in place of the 220 greeting
            await self._send(SHUT_DOWN)
            return False
        if banner is Banner.DELAYED:
            await asyncio.sleep(self._profile.banner_delay)
        await self._send(reply(220, None, self._profile.style.greeting.format(host=self._host_name)))
        return True

    async def _receive(self) -> bytes | None:
        """The next raw line, recorded in the host's transcript; None at end of input or overflow."""
        try:
            raw = await self._reader.readuntil(b"\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return None
        self._state.transcripts[self._host_ip].append(raw.rstrip(b"\r\n").decode("utf-8", errors="replace"))
        return raw

    async def _read_line(self) -> str | None:
        """The next command line, or None at end of input; over-long lines are answered and skipped."""
        while (raw := await self._receive()) is not None:
            if len(raw) <= COMMAND_LINE_LIMIT:
                return raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
            # RFC 5321 §4.5.3.1.10: "500 Line too long"
            await self._send(LINE_TOO_LONG)
        if not self._reader.at_eof():
            await self._send(LINE_TOO_LONG)  # a line beyond the read buffer ends the session
        return None

    async def _send(self, answer: Reply) -> None:
        if not self._profile.style.enhanced_codes:
            answer = answer.without_enhanced_code()
        await self._send_bytes(answer.encode())

    async def _send_bytes(self, data: bytes) -> None:
        if self._state.latency > 0:
            await asyncio.sleep(self._state.latency)
        self._writer.write(data)
        await self._writer.drain()

    async def _handle(self, line: str) -> None:
        if not line.strip():
            await self._send(BAD_SYNTAX)
            return
        verb, _, argument = line.partition(" ")
        verb = verb.upper()
        argument = argument.strip()
        if verb in {"EHLO", "HELO"}:
            await self._hello(verb, argument)
        elif verb == "STARTTLS":
            await self._starttls(argument)
        elif verb == "MAIL":
            await self._send(self._mail(argument))
        elif verb == "RCPT":
            await self._rcpt(argument)
        elif verb == "RSET":
            # RFC 5321 §4.1.1.5: RSET aborts the transaction
            self._transaction = None
            await self._send(OK)
        elif verb == "NOOP":
            await self._send(OK)  # RFC 5321 §4.1.1.9
        elif verb == "QUIT":
            await self._send(BYE)  # RFC 5321 §4.1.1.10: the server closes after its 221
            self._open = False
        elif verb == "DATA":
            await self._send(self._data())
        elif verb == "VRFY":
            await self._send(CANNOT_VRFY)  # RFC 5321 §3.5.3
        else:
            await self._send(NOT_RECOGNIZED)

    async def _hello(self, verb: str, argument: str) -> None:
        hello = self._profile.hello
        if hello is Hello.GARBAGE:
            await self._send_bytes(GARBAGE)
            return
        if verb == "EHLO" and hello is Hello.HELO_ONLY:
            await self._send(NOT_RECOGNIZED)
            return
        if not argument:
            await self._send(reply(501, "5.5.4", f"Syntax: {verb} hostname"))
            return
        # RFC 5321 §4.1.4: EHLO/HELO reset the session to the initial state
        self._transaction = None
        self._greeted = True
        self._extended = verb == "EHLO"
        if verb == "HELO":
            await self._send(reply(250, None, self._host_name))  # RFC 5321 §4.1.1.1
            return
        keywords = list(self._profile.style.ehlo_keywords)
        if self._profile.starttls and not self._tls_active:
            keywords.append("STARTTLS")  # RFC 3207 §4
        if self._profile.advertises_smtputf8:
            keywords.append("SMTPUTF8")  # RFC 6531 §3.2
        # RFC 5321 §4.1.1.1: multiline 250 reply, greeting first, then one extension per line
        await self._send(Reply(250, None, (self._host_name, *keywords)))

    async def _starttls(self, argument: str) -> None:
        if not self._profile.starttls or self._tls_context is None:
            await self._send(NOT_IMPLEMENTED)
            return
        if self._tls_active:
            await self._send(TLS_ACTIVE)
            return
        if argument:
            await self._send(reply(501, "5.5.4", "Syntax: STARTTLS"))  # RFC 3207 §4: no parameters
            return
        await self._send(TLS_READY)
        await self._writer.start_tls(self._tls_context)
        # RFC 3207 §4.2: after the handshake the server forgets everything learnt from the client
        self._tls_active = True
        self._greeted = False
        self._extended = False
        self._transaction = None

    def _mail(self, argument: str) -> Reply:
        if not self._greeted:
            return NEED_HELLO
        if self._profile.starttls and not self._tls_active:
            return TLS_REQUIRED  # RFC 3207 §4
        if self._transaction is not None:
            return NESTED_MAIL
        parsed = _split_path(argument, "FROM")
        if parsed is None:
            return reply(501, "5.5.4", "Syntax: MAIL FROM:<address>")
        sender, parameters = parsed
        smtputf8 = False
        for parameter in parameters:
            keyword, _, value = parameter.partition("=")
            keyword = keyword.upper()
            if not self._extended:
                # RFC 5321 §4.1.1.11: parameters need the extension that EHLO advertised
                return reply(555, "5.5.4", f"Unsupported option: {parameter}")
            if keyword == "SMTPUTF8" and self._profile.advertises_smtputf8 and not value:
                smtputf8 = True  # RFC 6531 §3.4
            elif keyword == "BODY" and value.upper() in {"7BIT", "8BITMIME"}:
                continue  # RFC 6152 §2
            elif keyword == "SIZE" and value.isdigit():
                if int(value) > SIZE_LIMIT:
                    return MESSAGE_TOO_BIG  # RFC 1870 §6.1
            else:
                return reply(555, "5.5.4", f"Unsupported option: {parameter}")
        if not sender.isascii() and not smtputf8:
            # RFC 6531 §3.5: a non-ASCII address needs the SMTPUTF8 parameter
            return reply(
                553, "5.6.7", f"<{sender}>: Sender address rejected: non-ASCII address needs SMTPUTF8"
            )
        if self._profile.rejects_sender:
            return reply(553, "5.7.1", f"<{sender}>: Sender address rejected: not owned by user")
        if self._profile.defers_sender:
            return LOCAL_PROBLEM  # RFC 5321 §4.2.3: 451 aborted, local error in processing
        self._transaction = _Transaction(smtputf8=smtputf8)
        return self._profile.style.sender_ok.render(address=sender)

    async def _rcpt(self, argument: str) -> None:
        answer = self._recipient(argument)
        if answer is Unanswered.HANG:
            # the client hears nothing more; what it still sends is recorded until it hangs up
            while await self._receive() is not None:
                pass
            self._open = False
            return
        if answer is Unanswered.DROP:
            self._open = False  # the connection closes with no reply to this RCPT
            return
        await self._send(answer)
        if answer.code >= 500 and self._profile.closes_after_rejection:
            self._open = False

    def _recipient(self, argument: str) -> Reply | Unanswered:
        transaction = self._transaction
        if transaction is None:
            return NEED_MAIL  # RFC 5321 §4.1.4: RCPT needs a MAIL first
        parsed = _split_path(argument, "TO")
        if parsed is None:
            return reply(501, "5.5.4", "Syntax: RCPT TO:<address>")
        address, parameters = parsed
        if parameters:
            return reply(555, "5.5.4", f"Unsupported option: {parameters[0]}")  # RFC 5321 §4.1.1.11
        transaction.recipients += 1
        profile = self._profile
        if profile.max_recipients is not None and transaction.recipients > profile.max_recipients:
            return TOO_MANY_RECIPIENTS  # RFC 5321 §4.5.3.1.10
        mailbox = _mailbox(address)
        if mailbox is None:
            return reply(501, "5.1.3", "Bad recipient address syntax")
        local_part, domain = mailbox
        if not address.isascii() and not transaction.smtputf8:
            # RFC 6531 §3.5: a non-ASCII address needs the SMTPUTF8 parameter
            return reply(
                553, "5.6.7", f"<{address}>: Recipient address rejected: non-ASCII address needs SMTPUTF8"
            )
        if not profile.serves(domain):
            return reply(554, "5.7.1", f"<{address}>: Relay access denied")
        silence = profile.unanswered_for(local_part)
        if silence is not None:
            return silence
        if profile.blocklisted:
            return reply(
                554,
                "5.7.1",
                f"Service unavailable; Client host [{self._client_ip}] blocked using zen.spamhaus.org; "
                f"https://www.spamhaus.org/query/ip/{self._client_ip}",
            )
        if profile.greylist and not self._state.greylist_passed(self._client_ip, address):
            # RFC 6647 §2: a temporary refusal the sender is expected to retry
            return reply(
                450,
                "4.7.1",
                f"<{address}>: Recipient address rejected: Greylisted, "
                f"see http://postgrey.schweikert.ch/help/{domain.lower()}.html",
            )
        if local_part.lower() in profile.full_mailboxes:
            return reply(452, "4.2.2", f"<{address}>: Mailbox full")  # RFC 3463 §3.3: X.2.2 mailbox full
        if not profile.has_mailbox(local_part):
            return profile.style.unknown_recipient.render(address=address)
        transaction.accepted += 1
        return profile.style.recipient_ok.render(address=address)

    def _data(self) -> Reply:
        if self._transaction is None:
            return NEED_MAIL
        if self._transaction.recipients == 0:
            return NEED_RCPT  # RFC 5321 §4.1.4: DATA needs at least one RCPT
        if self._transaction.accepted == 0:
            return NO_VALID_RECIPIENTS
        return DATA_REFUSED
