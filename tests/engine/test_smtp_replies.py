"""SMTP reply parsing and classification: code and enhanced status code first, text second."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from verifalia_server.engine.smtp.client import ConnectionDropped, DialogError, ReplyTimeout, SmtpSession
from verifalia_server.engine.smtp.replies import (
    TEXT_RULES,
    Meaning,
    Reply,
    TextRule,
    classify_recipient,
    classify_sender,
)
from verifalia_server.engine.statuses import Status


def reply(code: int, *lines: str) -> Reply:
    return Reply(code, lines)


@pytest.mark.parametrize(
    ("first_line", "code", "expected"),
    [
        ("5.1.1 <x>: Recipient address rejected", 550, "5.1.1"),  # RFC 3463 §2
        ("4.7.1 Greylisted", 450, "4.7.1"),
        ("5.1.10 Recipient address has null MX", 556, "5.1.10"),  # RFC 7505 §4.2: three-digit detail
        ("2.1.5 Ok", 250, "2.1.5"),
        ("Unrouteable address", 550, None),  # no enhanced code at all
        ("4.2.2 class disagrees with the reply code", 550, None),  # RFC 2034 §4: classes must agree
        ("5.1.1.1 too many parts", 550, None),
        ("5.1.1user unknown", 550, None),  # the code must be followed by a space
    ],
)
def test_enhanced_code_is_read_from_the_first_line(first_line: str, code: int, expected: str | None) -> None:
    assert reply(code, first_line).enhanced_code == expected


def test_text_joins_lines_without_the_enhanced_codes() -> None:
    gmail = reply(550, "5.1.1 The email account that you tried to reach does not exist.", "5.1.1 Please try")

    assert gmail.text == "The email account that you tried to reach does not exist. Please try"


Expected = Status | Meaning | None


def _cases(table: dict[Expected, list[tuple[int, str]]]) -> list[tuple[int, str, Expected]]:
    return [(code, line, expected) for expected, replies in table.items() for code, line in replies]


# Each (code, first line) is a reply real servers send, or the RFC's own example, under the verdict it earns.
RECIPIENT_CASES: dict[Expected, list[tuple[int, str]]] = {
    Status.SUCCESS: [
        (250, "2.1.5 Ok"),
        (251, "User not local; will forward"),  # RFC 5321 §4.2.2
    ],
    Status.MAILBOX_DOES_NOT_EXIST: [
        (550, "5.1.1 <x@y>: Recipient address rejected: User unknown in virtual mailbox table"),
        (550, "5.1.0 Address rejected"),
        (553, "5.1.3 Bad recipient address syntax"),
        (556, "5.1.10 Recipient address has null MX"),
        (550, "5.2.1 The email account that you tried to reach is disabled"),
        (550, "Unrouteable address"),  # Exim, no enhanced code
        (554, "delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0]"),
        (550, "sorry, no mailbox here by that name. (#5.1.1)"),  # qmail
        (551, "User not local; please try <forward@example.org>"),  # RFC 5321 §4.2.2
        (550, "5.4.1 Recipient address rejected: Access denied. AS(201806281)"),
    ],
    Status.LOCAL_END_POINT_REJECTED: [
        (554, "5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"),
        (550, "5.7.1 Client host rejected: cannot find your reverse hostname"),
        (550, "5.7.606 Access denied, banned sending IP [192.0.2.1]"),
        (554, "5.7.1 <x@y>: Relay access denied"),
        (550, "5.7.1 User unknown"),  # 5.7.x is policy whatever the text says
        (550, "Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1 (blocklisted)"),
        (550, "Requested action not taken"),  # unexplained: not a mailbox verdict
    ],
    Status.LOCAL_SENDER_ADDRESS_REJECTED: [
        (550, "5.7.1 <s@ours>: Sender address rejected: Access denied"),
        (550, "5.1.8 <s@ours>: Sender address rejected: Domain not found"),
    ],
    Status.MAILBOX_HAS_INSUFFICIENT_STORAGE: [
        (452, "4.2.2 <full@y>: Mailbox full"),
        (552, "5.2.2 Mailbox full"),
        (552, "Mailbox quota exceeded"),
    ],
    Meaning.TOO_MANY_RECIPIENTS: [
        (452, "4.5.3 Too many recipients"),
        (452, "Too many recipients"),  # RFC 5321 §4.5.3.1.10
    ],
    Status.MAILBOX_TEMPORARILY_UNAVAILABLE: [
        (450, "4.7.1 <x@y>: Recipient address rejected: Greylisted"),
        (451, "4.3.0 Temporary lookup failure"),
        (450, "4.2.0 Mailbox temporarily unavailable"),
        (450, "4.1.1 <x@y>: Recipient address rejected: User unknown"),
        (450, "4.7.1 Client host rejected: cannot find your hostname"),
    ],
    Status.SERVER_TEMPORARY_UNAVAILABLE: [(421, "4.7.0 Try again later, closing connection")],
    Status.SMTP_DIALOG_ERROR: [(500, "5.5.2 Error: bad syntax"), (503, "5.5.1 Error: need MAIL command")],
}

SENDER_CASES: dict[Expected, list[tuple[int, str]]] = {
    None: [(250, "2.1.0 Ok")],
    Status.LOCAL_SENDER_ADDRESS_REJECTED: [
        (553, "5.7.1 <s@ours>: Sender address rejected: not owned by user"),
        (550, "5.1.8 <s@ours>: Sender address rejected: Domain not found"),
        (553, "sorry, your envelope sender is in my badmailfrom list"),
    ],
    Status.LOCAL_END_POINT_REJECTED: [
        (554, "5.7.1 Service unavailable; Client host [192.0.2.1] blocked using b.barracudacentral.org"),
        (530, "5.7.0 Must issue a STARTTLS command first"),
    ],
    Status.SMTP_DIALOG_ERROR: [(501, "5.5.4 Syntax: MAIL FROM:<address>")],
    Status.SERVER_TEMPORARY_UNAVAILABLE: [
        (451, "4.3.0 Server configuration error"),
        (421, "4.7.0 Too many connections"),
    ],
}


@pytest.mark.parametrize(("code", "line", "expected"), _cases(RECIPIENT_CASES))
def test_recipient_reply_classification(code: int, line: str, expected: Expected) -> None:
    assert classify_recipient(reply(code, line)) is expected


@pytest.mark.parametrize(("code", "line", "expected"), _cases(SENDER_CASES))
def test_sender_reply_classification(code: int, line: str, expected: Expected) -> None:
    assert classify_sender(reply(code, line)) is expected


@pytest.mark.parametrize("rule", TEXT_RULES, ids=[rule.pattern.pattern[:40] for rule in TEXT_RULES])
def test_every_text_rule_matches_the_message_it_came_from(rule: TextRule) -> None:
    # Each source names one or more real replies ("code [enhanced] text"), separated by " / ".
    for source in rule.source.split(" / "):
        text = source.split(": ", 1)[1]
        code, _, rest = text.partition(" ")
        if code.isdigit():
            assert rule.pattern.search(rest), source
        else:
            assert rule.pattern.search(text), source


# A loopback peer that sends fixed bytes after the client's first line, to test reply parsing on the wire.
@pytest.fixture
async def peer() -> AsyncIterator[tuple[list[bytes], int]]:
    scripts: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        script = scripts.pop(0)
        if script:
            writer.write(script)
            await writer.drain()
        if script.endswith(b"\n"):
            await reader.read()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield scripts, server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def _ask(peer: tuple[list[bytes], int], script: bytes, reply_timeout: float = 1.0) -> Reply:
    scripts, port = peer
    scripts.append(script)
    session = await SmtpSession.connect("127.0.0.1", port, 1.0, reply_timeout)
    try:
        return await session.command("NOOP")
    finally:
        session.abort()


async def test_multiline_reply_is_read_whole(peer: tuple[list[bytes], int]) -> None:
    answer = await _ask(peer, b"250-mx.test\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n")

    assert answer == Reply(250, ("mx.test", "PIPELINING", "SMTPUTF8"))


async def test_code_alone_is_a_complete_reply(peer: tuple[list[bytes], int]) -> None:
    # RFC 5321 §4.2: the text is optional.
    assert await _ask(peer, b"250\r\n") == Reply(250, ("",))


@pytest.mark.parametrize(
    "script",
    [
        b"HTTP/1.1 400 Bad Request\r\n",
        b"250-first\r\n251 second\r\n",  # RFC 5321 §4.2.1: every line of a reply carries the same code
        b"650 no such reply class\r\n",
        b"250-" + b"x" * 9000 + b"\r\n",
    ],
)
async def test_non_smtp_replies_are_dialog_errors(peer: tuple[list[bytes], int], script: bytes) -> None:
    with pytest.raises(DialogError):
        await _ask(peer, script)


async def test_closed_connection_is_a_drop(peer: tuple[list[bytes], int]) -> None:
    with pytest.raises(ConnectionDropped):
        await _ask(peer, b"")


async def test_silence_is_a_reply_timeout(peer: tuple[list[bytes], int]) -> None:
    with pytest.raises(ReplyTimeout):
        await _ask(peer, b"250-more to come\r\n", reply_timeout=0.2)
