"""Logging in with a registered client certificate over HTTPS, with Python's aiohttp client: who it logs in,
and every case where it must not."""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.certificates.conftest import StartNode, TlsNode, create_user, problem
from tests.support.database import TestAccount
from verifalia_server.store import users


async def _registered_user(node: TlsNode, pool: asyncpg.Pool[Any], name: str) -> tuple[TestAccount, Any]:
    user = await create_user(pool, node.admin)
    client = node.pki.issue(name)
    status, body = await node.register(user.sid, client.pem)
    assert status == 200, body
    return user, client


async def test_a_registered_certificate_logs_its_user_in_without_credentials(
    tls_node: TlsNode, pool: asyncpg.Pool[Any]
) -> None:
    user, client = await _registered_user(tls_node, pool, "client one")
    status, balance = await tls_node.call("GET", "/credits/balance", client=client)
    assert status == 200, balance
    assert balance["creditPacks"] == 10_000
    # It acts as that user: its own certificates are readable, the administrator's are not (scope `own`).
    status, listing = await tls_node.call("GET", f"/users/{user.sid}/certificates", client=client)
    assert status == 200, listing
    assert [item["thumbprint"] for item in listing["data"]] == [client.thumbprint]
    forbidden = await tls_node.call("GET", f"/users/{tls_node.admin.sid}/certificates", client=client)
    assert "client-certificates:read" in problem(forbidden, 403)


async def test_a_job_submitted_with_a_certificate_belongs_to_its_user(
    tls_node: TlsNode, pool: asyncpg.Pool[Any]
) -> None:
    user, client = await _registered_user(tls_node, pool, "client jobs")
    body = aiohttp.JsonPayload({"entries": [{"inputData": "alice@postfix.mailfarm.net"}]})
    status, job = await tls_node.call("POST", "/email-validations?waitTime=10000", client=client, data=body)
    assert status == 200, job
    assert job["overview"]["owner"] == user.sid
    assert [entry["status"] for entry in job["entries"]["data"]] == ["Success"]


async def test_basic_and_no_credentials_over_the_same_https_port(tls_node: TlsNode) -> None:
    status, balance = await tls_node.call("GET", "/credits/balance", auth=tls_node.admin)
    assert status == 200, balance
    detail = problem(await tls_node.call("GET", "/credits/balance"), 401)
    assert detail == "Missing or invalid credentials."


async def test_an_authorization_header_wins_over_the_certificate(
    tls_node: TlsNode, pool: asyncpg.Pool[Any]
) -> None:
    user, client = await _registered_user(tls_node, pool, "client header")
    wrong = dataclasses.replace(user, token="not-the-password")
    detail = problem(await tls_node.call("GET", "/credits/balance", client=client, auth=wrong), 401)
    assert detail == "Invalid username or password."


async def test_an_unregistered_self_signed_certificate_fails_the_handshake(tls_node: TlsNode) -> None:
    stranger = tls_node.pki.issue("stranger")
    with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
        await tls_node.call("GET", "/credits/balance", client=stranger)


async def test_an_unregistered_certificate_of_the_client_ca_gets_401(
    start_tls_node: StartNode, pool: asyncpg.Pool[Any]
) -> None:
    node = await start_tls_node(client_ca=True)
    issued = node.pki.issue("ca issued", issuer=node.pki.ca)
    detail = problem(await node.call("GET", "/credits/balance", client=issued), 401)
    assert detail == "The client certificate logs no user in."
    # Registered, the same certificate logs its user in.
    user = await create_user(pool, node.admin)
    status, _ = await node.register(user.sid, issued.pem)
    assert status == 200
    status, _ = await node.call("GET", "/credits/balance", client=issued)
    assert status == 200


async def test_a_deleted_certificate_logs_nobody_in(tls_node: TlsNode, pool: asyncpg.Pool[Any]) -> None:
    user, client = await _registered_user(tls_node, pool, "client deleted")
    _, listing = await tls_node.call("GET", f"/users/{user.sid}/certificates", auth=tls_node.admin)
    certificate_id = listing["data"][0]["id"]
    status, body = await tls_node.call(
        "DELETE", f"/users/{user.sid}/certificates/{certificate_id}", auth=tls_node.admin
    )
    assert (status, body) == (200, {})
    detail = problem(await tls_node.call("GET", "/credits/balance", client=client), 401)
    assert detail == "The client certificate logs no user in."
    # Deleting it again finds nothing.
    again = await tls_node.call(
        "DELETE", f"/users/{user.sid}/certificates/{certificate_id}", auth=tls_node.admin
    )
    problem(again, 404)


async def test_a_user_without_certificate_login_is_refused(
    tls_node: TlsNode, pool: asyncpg.Pool[Any]
) -> None:
    user, client = await _registered_user(tls_node, pool, "client switched off")
    stored = await users.get_user(pool, user.sid)
    assert stored is not None
    profile = dataclasses.replace(stored.profile, certificate_login=False)
    await users.update_user(pool, user.sid, profile, expected_version=stored.version)
    detail = problem(await tls_node.call("GET", "/credits/balance", client=client), 401)
    assert detail == "The client certificate logs no user in."


async def test_an_inactive_user_is_refused(tls_node: TlsNode, pool: asyncpg.Pool[Any]) -> None:
    user, client = await _registered_user(tls_node, pool, "client inactive")
    await users.set_user_active(pool, user.sid, False)
    detail = problem(await tls_node.call("GET", "/credits/balance", client=client), 401)
    assert detail == "This user is inactive."


async def test_a_certificate_registered_on_one_node_logs_in_on_the_other(
    start_tls_node: StartNode, pool: asyncpg.Pool[Any]
) -> None:
    first = await start_tls_node()
    second = await start_tls_node()
    client = first.pki.issue("client roaming")
    # The second node knows nothing of it yet: its handshake refuses it.
    with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
        await second.call("GET", "/credits/balance", client=client)
    user = await create_user(pool, first.admin)
    status, _ = await first.register(user.sid, client.pem)
    assert status == 200
    # The registration reaches the second node by a database notification.
    answered: int | None = None
    for _ in range(100):
        try:
            answered, _ = await second.call("GET", "/credits/balance", client=client)
        except (aiohttp.ClientError, ssl.SSLError):
            await asyncio.sleep(0.05)
            continue
        break
    assert answered == 200
