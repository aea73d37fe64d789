"""Completion callbacks: one POST per job with both nodes running, retries after failures, address guard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.v2.conftest import NodeFactory, V2Node, entries, problem, submit
from verifalia_server.callbacks.dispatcher import EVENT_TYPE, CallbackUrlError, check_callback_destination
from verifalia_server.callbacks.resolver import CallbackResolverConfig

FAST_CALLBACKS = {
    "VERIFALIA_ALLOW_PRIVATE_CALLBACKS": "1",
    "VERIFALIA_CALLBACK_POLL_SECONDS": "0.1",
    "VERIFALIA_CALLBACK_RETRY_DELAYS": "0.2,0.2,0.2",
    "VERIFALIA_CALLBACK_TIMEOUT": "2",
}


@dataclass
class Receiver:
    """A local HTTP endpoint recording the callbacks it receives; it fails the first `failures` of them."""

    url: str = ""
    failures: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        if len(self.received) <= self.failures:
            return web.Response(status=500)
        self.arrived.set()
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A started receiver on 127.0.0.1."""
    state = Receiver()
    app = web.Application()
    app.router.add_post("/hook", state.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state.url = str(server.make_url("/hook"))
    yield state
    await server.close()


async def _two_nodes(start_v2_node: NodeFactory, environ: dict[str, str]) -> V2Node:
    first = await start_v2_node(environ)
    await start_v2_node(environ, account=first.account)
    return first


async def _delivery(node: V2Node, job_id: str) -> Any:
    return await node.pool.fetchrow(
        "SELECT attempts, delivered_at, abandoned_at, last_error FROM callback_deliveries"
        " WHERE job_id = $1::uuid",
        job_id,
    )


async def test_callback_is_delivered_once_with_both_nodes_running(
    start_v2_node: NodeFactory, receiver: Receiver
) -> None:
    node = await _two_nodes(start_v2_node, FAST_CALLBACKS)
    body = {**entries("alice@postfix.mailfarm.net"), "name": "weekly", "callback": {"url": receiver.url}}
    created = await (await submit(node, body)).json()
    job_id = created["overview"]["id"]
    await asyncio.wait_for(receiver.arrived.wait(), 10)
    await asyncio.sleep(1.0)
    assert receiver.received == [{"event": {"type": EVENT_TYPE, "data": {"id": job_id, "name": "weekly"}}}]
    delivery = await _delivery(node, job_id)
    assert delivery["attempts"] == 1
    assert delivery["delivered_at"] is not None


async def test_failed_callbacks_are_retried_with_backoff(
    start_v2_node: NodeFactory, receiver: Receiver
) -> None:
    receiver.failures = 2
    node = await _two_nodes(start_v2_node, FAST_CALLBACKS)
    body = {**entries("alice@postfix.mailfarm.net"), "callback": {"url": receiver.url, "version": "1.0"}}
    job_id = (await (await submit(node, body)).json())["overview"]["id"]
    await asyncio.wait_for(receiver.arrived.wait(), 10)
    await asyncio.sleep(0.6)
    assert receiver.received == [{"event": {"type": EVENT_TYPE, "data": {"id": job_id}}}] * 3
    delivery = await _delivery(node, job_id)
    assert delivery["attempts"] == 3
    assert delivery["delivered_at"] is not None
    assert delivery["last_error"] is None


async def test_callbacks_to_private_hosts_are_refused_unless_allowed(
    start_v2_node: NodeFactory, receiver: Receiver
) -> None:
    environ = {
        **FAST_CALLBACKS,
        "VERIFALIA_ALLOW_PRIVATE_CALLBACKS": "0",
        "VERIFALIA_CALLBACK_RETRY_DELAYS": "0.1",
    }
    node = await start_v2_node(environ)
    url = receiver.url.replace("127.0.0.1", "localhost")
    refused = await submit(node, {**entries("alice@postfix.mailfarm.net"), "callback": {"url": url}})
    assert "refused address" in (await problem(refused, 400))["detail"]
    assert await node.pool.fetchval("SELECT count(*) FROM jobs") == 0

    # A destination that resolves to a private address at delivery (its DNS changed) is refused then too.
    job_id = (await (await submit(node, entries("alice@postfix.mailfarm.net"))).json())["overview"]["id"]
    await node.pool.execute(
        "INSERT INTO callback_deliveries (job_id, url) VALUES ($1::uuid, $2)", job_id, url
    )
    for _ in range(50):
        delivery = await _delivery(node, job_id)
        if delivery["abandoned_at"] is not None:
            break
        await asyncio.sleep(0.1)
    assert receiver.received == []
    assert delivery["attempts"] == 2
    assert delivery["delivered_at"] is None
    assert "refused address" in delivery["last_error"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://localhost:8080/hook", "refused address"),  # resolves to loopback only
        ("https://127.0.0.1/hook", "refused address"),
        ("http://[64:ff9b::a00:1]/hook", "refused address"),  # RFC 6052 NAT64 of 10.0.0.1
        (f"http://{'a' * 64}.com/hook", "cannot be delivered to"),  # RFC 1035 §2.3.4: label > 63 octets
        ("ftp://example.com/hook", "absolute http or https URL"),
        ("http://hooks.invalid/hook", "special-use name"),  # RFC 6761 §6.4: never looked up
        ("https://crm.test/hook", "special-use name"),  # RFC 6761 §6.2
    ],
)
async def test_undeliverable_callback_destinations_are_refused(url: str, reason: str) -> None:
    with pytest.raises(CallbackUrlError, match=reason):
        await check_callback_destination(url, CallbackResolverConfig(allow_private=False))


async def test_callback_destinations_resolving_to_allowed_addresses_are_accepted() -> None:
    await check_callback_destination("http://93.184.215.14/hook", CallbackResolverConfig(allow_private=False))
    await check_callback_destination("http://localhost:8080/hook", CallbackResolverConfig(allow_private=True))
