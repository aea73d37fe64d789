"""The per-IP concurrency limiter: exactly N requests in flight per client IP, 429 at once for the next."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from tests.service.conftest import Node, NodeFactory
from tests.support.database import TestAccount
from verifalia_server.api.shared.limiter import client_address

pytestmark = pytest.mark.timeout(180)

BODY = b'{"entries": [{"inputData": "held@example.com"}]}'


class HeldRequest:
    """A POST whose headers are sent but whose body is held back, so the server keeps it in flight."""

    def __init__(self, node: Node, account: TestAccount, source_ip: str, forwarded_for: str | None) -> None:
        self._node = node
        self._account = account
        self._source_ip = source_ip
        self._forwarded_for = forwarded_for
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        host, port = self._node.url.removeprefix("http://").split(":")
        self._reader, self._writer = await asyncio.open_connection(
            host, int(port), local_addr=(self._source_ip, 0)
        )
        auth = self._node.auth(self._account)["Authorization"]
        forwarded = f"X-Forwarded-For: {self._forwarded_for}\r\n" if self._forwarded_for else ""
        self._writer.write(
            (
                "POST /v1.4/email-validations HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                f"Authorization: {auth}\r\n{forwarded}Content-Length: {len(BODY)}\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
        )
        await self._writer.drain()

    async def status_within(self, seconds: float) -> int | None:
        """The response status if one arrives within `seconds`, else None."""
        assert self._reader is not None
        try:
            line = await asyncio.wait_for(self._reader.readline(), seconds)
        except TimeoutError:
            return None
        return int(line.split()[1])

    async def finish(self) -> int:
        """Send the body and return the status."""
        assert self._writer is not None
        self._writer.write(BODY)
        await self._writer.drain()
        status = await self.status_within(10)
        assert status is not None
        return status

    async def close(self) -> None:
        assert self._writer is not None
        self._writer.close()
        await self._writer.wait_closed()


async def hold(
    node: Node, account: TestAccount, count: int, source_ip: str = "127.0.0.1", forwarded: bool = False
) -> list[HeldRequest]:
    requests = [
        HeldRequest(node, account, source_ip, f"198.51.100.{number}" if forwarded else None)
        for number in range(count)
    ]
    await asyncio.gather(*(request.open() for request in requests))
    return requests


async def test_ten_concurrent_requests_from_one_ip_admit_exactly_five(
    node: Node, account: TestAccount
) -> None:
    held = await hold(node, account, 10)
    statuses = await asyncio.gather(*(request.status_within(1.0) for request in held))
    rejected = [request for request, status in zip(held, statuses, strict=True) if status == 429]
    admitted = [request for request, status in zip(held, statuses, strict=True) if status is None]
    assert len(rejected) == 5
    assert len(admitted) == 5

    # Health checks are never limited; another IP has its own allowance.
    async with node.session.get(f"{node.url}/health") as response:
        assert response.status == 200
    other_ip = await hold(node, account, 1, source_ip="127.0.0.2")
    assert await other_ip[0].status_within(0.5) is None
    assert await other_ip[0].finish() == 202

    assert [await request.finish() for request in admitted] == [202] * 5
    for request in held + other_ip:
        await request.close()
    async with node.session.get(f"{node.url}/v1.4/account-balance", headers=node.auth(account)) as response:
        assert response.status == 200


async def test_the_429_carries_retry_after_and_a_v14_error_body(node: Node, account: TestAccount) -> None:
    held = await hold(node, account, 5)
    async with node.session.get(f"{node.url}/v1.4/account-balance", headers=node.auth(account)) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "1"
        assert (await response.json())["status"] == 429
    for request in held:
        await request.close()


async def test_forwarded_for_is_honoured_only_from_trusted_proxies(
    start_node: NodeFactory, account: TestAccount
) -> None:
    untrusting = await start_node()
    held = await hold(untrusting, account, 10, forwarded=True)
    statuses = await asyncio.gather(*(request.status_within(1.0) for request in held))
    assert statuses.count(429) == 5
    for request in held:
        await request.close()

    trusting = await start_node(trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    held = await hold(trusting, account, 10, forwarded=True)
    statuses = await asyncio.gather(*(request.status_within(1.0) for request in held))
    assert statuses.count(429) == 0
    for request in held:
        await request.close()


def test_client_address_walks_forwarded_hops_back_to_the_first_untrusted_one() -> None:
    proxies = (ipaddress.ip_network("10.0.0.0/8"),)
    assert client_address("10.0.0.1", "203.0.113.9, 10.0.0.7", proxies) == "203.0.113.9"
    assert client_address("10.0.0.1", "203.0.113.9, 198.51.100.1", proxies) == "198.51.100.1"
    assert client_address("192.0.2.1", "203.0.113.9", proxies) == "192.0.2.1"
    assert client_address("10.0.0.1", "not-an-ip", proxies) == "10.0.0.1"
    assert client_address("10.0.0.1", None, proxies) == "10.0.0.1"
