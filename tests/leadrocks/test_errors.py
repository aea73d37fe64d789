"""Errors raised outside the LeadRocks handlers (limiter, body limit, routing) answer LeadRocks codes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from tests.leadrocks.conftest import TEST_ENVIRON, LeadRocksNode, create_app_token, failed
from tests.mailfarm.farm import MailFarm
from tests.support.nodes import in_process_nodes
from verifalia_server.settings import ServiceSettings

MAX_BODY_BYTES = 1024


@pytest.fixture
async def strict_node(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[LeadRocksNode]:
    """A node admitting one request at a time per client IP and bodies of at most 1 KiB."""
    for name, value in TEST_ENVIRON.items():
        monkeypatch.setenv(name, value)
    settings = ServiceSettings(
        database_url=database_url,
        scheduler_enabled=False,
        max_concurrent_requests_per_ip=1,
        max_body_bytes=MAX_BODY_BYTES,
    )
    async with in_process_nodes(pool, mail_farm) as serve:
        url, session = await serve(settings)
        yield LeadRocksNode(url, session, pool)


async def test_the_per_ip_limiter_answers_error_111(
    strict_node: LeadRocksNode, pool: asyncpg.Pool[Any]
) -> None:
    app = await create_app_token(pool)
    host, port = strict_node.url.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    # A verify whose body is held back stays in flight and holds the client's only slot.
    writer.write(
        (
            "POST /v1/verify HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            f"Authorization: {app.token}\r\nContent-Length: 40\r\nConnection: close\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        status, headers, body = await strict_node.call("GET", "/v1/getcredits", app.token)
        if status == 429 or loop.time() > deadline:
            break
        await asyncio.sleep(0.02)
    assert (status, body) == (
        429,
        failed(111, "You have reached the maximum number of requests, please try again later"),
    )
    assert headers["Retry-After"] == "1"
    writer.close()
    await writer.wait_closed()


async def test_a_body_over_the_limit_answers_error_104(
    strict_node: LeadRocksNode, pool: asyncpg.Pool[Any]
) -> None:
    app = await create_app_token(pool)
    status, _, body = await strict_node.call(
        "POST",
        "/v1/verify",
        app.token,
        json={"email": "alice@postfix.mailfarm.net", "pad": "x" * MAX_BODY_BYTES},
    )
    assert (status, body) == (413, failed(104, "File size cannot exceed 10 MB or 10,000 lines"))


async def test_unknown_routes_and_methods_answer_error_101(strict_node: LeadRocksNode) -> None:
    invalid = failed(101, "Invalid data in JSON request")
    status, _, body = await strict_node.call("GET", "/v1/nowhere", None)
    assert (status, body) == (404, invalid)
    status, _, body = await strict_node.call("DELETE", "/v1/verify", None)
    assert (status, body) == (405, invalid)
