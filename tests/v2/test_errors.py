"""Each v2 error status is an RFC 9457 problem; CORS preflight and headers for browser clients."""

from __future__ import annotations

import asyncio

from tests.support.database import create_test_account, create_test_user
from tests.support.nodes import basic_auth
from tests.v2.conftest import NodeFactory, V2Node, entries, problem, submit


async def test_missing_and_wrong_credentials_are_401_with_a_challenge(node: V2Node) -> None:
    for headers in ({}, basic_auth(node.account.sid, "wrong"), {"Authorization": "Digest x"}):
        async with node.session.get(node.v2("/credits/balance"), headers=headers) as response:
            await problem(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Basic")


async def test_insufficient_credits_are_402_and_store_nothing(node: V2Node) -> None:
    poor = await create_test_account(node.pool, credits=0, free_daily=1)
    headers = basic_auth(poor.sid, poor.token)
    body = entries("a@nonexistent.mailfarm.net", "b@nonexistent.mailfarm.net")
    async with node.session.post(node.v2("/email-validations"), json=body, headers=headers) as response:
        await problem(response, 402)
    async with node.session.get(node.v2("/email-validations"), headers=headers) as response:
        assert (await response.json())["data"] == []


async def test_missing_permission_is_403(node: V2Node) -> None:
    reader = await create_test_user(node.pool, node.account.account_id, ("email-verifications:read",))
    headers = basic_auth(reader.sid, reader.token)
    async with node.session.post(
        node.v2("/email-validations"), json=entries("a@b.example"), headers=headers
    ) as response:
        await problem(response, 403)
    async with node.session.get(node.v2("/credits/balance"), headers=headers) as response:
        await problem(response, 403)
    async with node.session.get(node.v2("/email-validations"), headers=headers) as response:
        assert response.status == 200


async def test_oversized_body_is_413_and_unknown_route_404(start_v2_node: NodeFactory) -> None:
    node = await start_v2_node(max_body_bytes=1024)
    body = entries(*(f"user{number}@nonexistent.mailfarm.net" for number in range(100)))
    await problem(await submit(node, body), 413)
    async with node.session.get(node.v2("/no-such-thing"), headers=node.auth) as response:
        await problem(response, 404)


async def test_more_concurrent_requests_than_allowed_are_429(start_v2_node: NodeFactory) -> None:
    node = await start_v2_node(scheduler_enabled=False, max_concurrent_requests_per_ip=1)
    created = await (await submit(node, entries("a@postfix.mailfarm.net"), query="waitTime=0")).json()
    held = asyncio.create_task(
        node.session.get(
            node.v2(f"/email-validations/{created['overview']['id']}?waitTime=3000"), headers=node.auth
        )
    )
    await asyncio.sleep(0.5)
    async with node.session.get(node.v2("/credits/balance"), headers=node.auth) as response:
        await problem(response, 429)
    async with await held as response:
        assert response.status == 202


async def test_cors_preflight_and_response_headers(node: V2Node) -> None:
    async with node.session.options(
        node.v2("/email-validations"),
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    ) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        allowed = response.headers["Access-Control-Allow-Headers"].lower()
        assert "authorization" in allowed
        assert "content-type" in allowed
    async with node.session.get(
        node.v2("/credits/balance"), headers={**node.auth, "Origin": "https://app.example"}
    ) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    async with node.session.get(
        node.v2("/credits/balance"), headers={"Origin": "https://app.example"}
    ) as response:
        await problem(response, 401)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
