"""Bad input gets a 4xx in the surface's own error format, and nothing is stored or charged.

Covered: text PostgreSQL cannot store (NUL, unpaired surrogates) in every field that reaches it, malformed
multipart bodies, numbers that overflow, the per-entry size cap, and request lines and headers over
aiohttp's limits (answered by the protocol handler, below the middleware).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest

from tests.mailfarm.farm import MailFarm
from tests.support.database import TestAccount, create_test_account
from tests.support.nodes import basic_auth, in_process_nodes
from verifalia_server.settings import ServiceSettings

CREDITS = 1000
ONE = {"inputData": "alice@postfix.mailfarm.net"}


@dataclass
class Node:
    """A running node, its client session, the account's credentials and the pool behind it."""

    url: str
    session: aiohttp.ClientSession
    pool: asyncpg.Pool[Any]
    account: TestAccount

    @property
    def auth(self) -> dict[str, str]:
        """The Basic Authorization header of the account."""
        return basic_auth(self.account.sid, self.account.token)


@pytest.fixture
async def node(database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm) -> AsyncIterator[Node]:
    """One in-process node without a scheduler (nothing is verified), with a funded account."""
    account = await create_test_account(pool, credits=CREDITS)
    settings = ServiceSettings(database_url=database_url, scheduler_enabled=False, max_entry_length=300)
    async with in_process_nodes(pool, mail_farm) as serve:
        url, session = await serve(settings)
        yield Node(url, session, pool, account)


async def _nothing_stored(node: Node) -> None:
    assert await node.pool.fetchval("SELECT count(*) FROM jobs") == 0
    balance = await node.pool.fetchval(
        "SELECT credit_packs FROM accounts WHERE id = $1", node.account.account_id
    )
    assert balance == Decimal(CREDITS)


async def _post(node: Node, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    all_headers = {**node.auth, "Content-Type": "application/json", **(headers or {})}
    async with node.session.post(f"{node.url}{path}", data=body, headers=all_headers) as response:
        return response.status, await response.json(content_type=None)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1.4/email-validations", {"entries": [{"inputData": "a\u0000@b.net"}]}, "entries[0].inputData"),
        ("/v2.6/email-validations", {"entries": [ONE, {"inputData": "\u0000"}]}, "entries[1].inputData"),
        ("/v2.6/email-validations", {"entries": [{**ONE, "custom": "x\u0000"}]}, "entries[0].custom"),
        ("/v2.6/email-validations", {"entries": [ONE], "name": "weekly\u0000"}, "name"),
        ("/v1.4/email-validations", {"entries": [{**ONE, "custom": "\u0000"}]}, "entries[0].custom"),
    ],
)
async def test_nul_characters_are_refused_by_field(node: Node, path: str, body: Any, field: str) -> None:
    status, answer = await _post(node, path, orjson.dumps(body))
    assert status == 400
    detail = answer.get("detail") or answer.get("message")
    assert f"'{field}'" in detail
    await _nothing_stored(node)


async def test_an_unpaired_surrogate_in_relaxed_v1_json_is_refused(node: Node) -> None:
    status, answer = await _post(
        node, "/v1.4/email-validations", b"{entries: [{inputData: 'a\\ud800@b.net'}]}"
    )
    assert (status, answer["status"]) == (400, 400)
    assert "'entries[0].inputData'" in answer["message"]
    await _nothing_stored(node)


async def test_nul_in_credentials_and_filters_is_refused_before_any_lookup(node: Node) -> None:
    nul_basic = "Basic " + base64.b64encode(b"ab\x00c:token").decode()
    async with node.session.get(
        f"{node.url}/v2.6/credits/balance", headers={"Authorization": nul_basic}
    ) as response:
        assert response.status == 401
    status, _answer = await _post(
        node, "/v2.6/auth/tokens", orjson.dumps({"username": "a\u0000", "password": "x"})
    )
    assert status == 401
    async with node.session.get(
        f"{node.url}/v2.6/email-validations", params={"owner": "a\u0000b"}, headers=node.auth
    ) as response:
        assert response.status == 400
        assert "'owner'" in (await response.json(content_type=None))["detail"]


async def test_an_uploaded_text_file_with_nul_is_refused(node: Node) -> None:
    form = aiohttp.FormData()
    form.add_field(
        "inputFile", b"a@b.net\r\nc\x00d@e.net\r\n", filename="list.txt", content_type="text/plain"
    )
    async with node.session.post(
        f"{node.url}/v2.6/email-validations", data=form, headers=node.auth
    ) as response:
        assert response.status == 400
        assert "'entries[1].inputData'" in (await response.json(content_type=None))["detail"]
    await _nothing_stored(node)


async def test_entries_over_the_length_cap_are_refused(node: Node) -> None:
    long_entry = {"inputData": "a" * 295 + "@b.net"}
    status, answer = await _post(
        node, "/v2.6/email-validations", orjson.dumps({"entries": [ONE, long_entry]})
    )
    assert status == 400
    assert "'entries[1].inputData'" in answer["detail"]
    assert "at most 300" in answer["detail"]
    await _nothing_stored(node)


async def test_an_overflowing_retention_is_refused(node: Node) -> None:
    body = {"entries": [ONE], "retention": "99999999999999999999.0:0:0"}
    status, answer = await _post(node, "/v2.6/email-validations", orjson.dumps(body))
    assert status == 400
    assert "'retention'" in answer["detail"]
    await _nothing_stored(node)


async def _raw(node: Node, request: bytes) -> tuple[str, dict[str, str], Any]:
    """Send bytes as they are; return the status line, the headers and the decoded JSON body."""
    host, port = node.url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return status_line, headers, orjson.loads(body)


def _multipart(node: Node, path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {node.auth['Authorization']}\r\n"
        f"Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


@pytest.mark.parametrize(
    "body",
    [
        # a part header with a bare CR in the field name
        b'--XX\r\nContent-Disposition: form-data; name="input\rFile"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\na@b.net\r\n--XX--\r\n",
        # cut off before the closing boundary
        b'--XX\r\nContent-Disposition: form-data; name="inputFile"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\na@b.net\r\n",
        # no boundary at all
        b"garbage",
    ],
)
async def test_malformed_multipart_bodies_are_refused(node: Node, body: bytes) -> None:
    status_line, headers, answer = await _raw(node, _multipart(node, "/v2.6/email-validations", body))
    assert status_line.split()[1] == "400"
    assert headers["Content-Type"].startswith("application/problem+json")
    assert "multipart body cannot be read" in answer["detail"]
    await _nothing_stored(node)


@pytest.mark.parametrize(
    ("request_head", "status", "content_type", "style"),
    [
        (b"GET /v1.4/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n", 414, "application/json", "v1.4"),
        (
            b"GET /v2.6/credits/balance HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n",
            431,
            "application/problem+json",
            "v2",
        ),
        (
            b"GET /v1/getcredits HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n",
            431,
            "application/json",
            "leadrocks",
        ),
        (b"GARBAGE\r\n", 400, "application/problem+json", "v2"),
    ],
)
async def test_requests_over_the_protocol_limits_are_answered_in_the_surface_format(
    node: Node, request_head: bytes, status: int, content_type: str, style: str
) -> None:
    status_line, headers, answer = await _raw(node, request_head + b"Connection: close\r\n\r\n")
    assert int(status_line.split()[1]) == status
    assert headers["Content-Type"].startswith(content_type)
    if style == "v2":
        assert answer["status"] == status
        assert answer["detail"]
    elif style == "v1.4":
        assert answer == {"status": status, "message": "The request line is too long."}
    else:
        assert answer["status"] == "failed"
        assert answer["error"]["code"] == 101
