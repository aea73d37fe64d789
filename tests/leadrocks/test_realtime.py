"""`/v1/getcredits` and `/v1/verify` through HTTP on a live node with the mail farm; auth and rate limits."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from tests.leadrocks.conftest import (
    TEST_ENVIRON,
    AppToken,
    LeadRocksNode,
    NodeFactory,
    create_app_token,
    failed,
)
from tests.mailfarm.farm import MailFarm
from verifalia_server.api.shared.keys import ENGINE_KEY
from verifalia_server.engine.config import EngineConfig
from verifalia_server.node import create_app
from verifalia_server.settings import ServiceSettings
from verifalia_server.store import apps

INVALID_TOKEN = failed(100, "Invalid API Token, please generate new token")
INVALID_JSON = failed(101, "Invalid data in JSON request")
NO_CREDITS = failed(103, "You have exhausted your credits, please add additional credits to continue")


async def credits_of(node: LeadRocksNode, token: str) -> Any:
    status, _, body = await node.call("GET", "/v1/getcredits", token)
    assert status == 200, body
    return body["data"]["credits"]


async def verify(node: LeadRocksNode, token: str, email: str) -> tuple[int, dict[str, str], Any]:
    return await node.call("POST", "/v1/verify", token, json={"email": email})


async def test_getcredits_is_credit_packs_plus_free_credits(
    node: LeadRocksNode, pool: asyncpg.Pool[Any]
) -> None:
    app = await create_app_token(pool, credits=1000, free_daily=50)
    status, headers, body = await node.call("GET", "/v1/getcredits", app.token)
    assert (status, body) == (200, {"status": "success", "data": {"credits": 1050}})
    assert headers["Content-Type"].startswith("application/json")
    await verify(node, app.token, "alice@postfix.mailfarm.net")
    assert await credits_of(node, app.token) == 1049


VERDICTS = [
    ("alice@postfix.mailfarm.net", ("alice@postfix.mailfarm.net", "valid", "yes", "no", "no", "no")),
    ("  Alice@POSTFIX.mailfarm.net ", ("Alice@postfix.mailfarm.net", "valid", "yes", "no", "no", "no")),
    ("info@postfix.mailfarm.net", ("info@postfix.mailfarm.net", "valid", "no", "no", "no", "yes")),
    ("zed@postfix.mailfarm.net", ("zed@postfix.mailfarm.net", "invalid", "no", "no", "no", "no")),
    ("zed@exim.mailfarm.net", ("zed@exim.mailfarm.net", "invalid", "no", "no", "no", "no")),
    ("zed@catchall.mailfarm.net", ("zed@catchall.mailfarm.net", "catch-all", "no", "no", "no", "no")),
    ("zed@blocklisted.mailfarm.net", ("zed@blocklisted.mailfarm.net", "unknown", "no", "no", "no", "no")),
    ("zed@nonexistent.mailfarm.net", ("zed@nonexistent.mailfarm.net", "invalid", "no", "no", "no", "no")),
    ("john@mailinator.com", ("john@mailinator.com", "unknown", "no", "yes", "no", "no")),
    ("bob@gmail.com", ("bob@gmail.com", "invalid", "no", "no", "yes", "no")),
    ("not an address", ("not an address", "invalid", "no", "no", "no", "no")),
]


async def test_verify_answers_the_seed_shape(node: LeadRocksNode, app_token: AppToken) -> None:
    fields = ("email_address", "status", "safe_to_send", "disposable", "free_account", "role_account")
    for email, expected in VERDICTS:
        status, headers, body = await verify(node, app_token.token, email)
        assert status == 200, body
        assert headers["Content-Type"].startswith("application/json")
        assert body == {"status": "success", "data": dict(zip(fields, expected, strict=True))}, email


async def test_verify_runs_out_of_time_with_an_unknown_verdict(
    start_node: NodeFactory, app_token: AppToken
) -> None:
    node = await start_node(VERIFY_TIMEOUT="1")
    started = time.monotonic()
    status, _, body = await verify(node, app_token.token, "alice@tarpit.mailfarm.net")
    assert time.monotonic() - started < 4
    assert status == 200
    assert body["data"]["status"] == "unknown"
    assert body["data"]["safe_to_send"] == "no"


async def test_verify_rejects_invalid_json(node: LeadRocksNode, app_token: AppToken) -> None:
    for body in (b"{not json", b"[]", b'{"mail": "a@b.c"}', b'{"email": 42}', b'{"email": "   "}', b""):
        status, _, answer = await node.call(
            "POST", "/v1/verify", app_token.token, data=body, headers={"Content-Type": "application/json"}
        )
        assert (status, answer) == (400, INVALID_JSON), body


async def test_tokens_are_accepted_bare_and_as_bearer(node: LeadRocksNode, app_token: AppToken) -> None:
    for header in (app_token.token, f"Bearer {app_token.token}", f"bearer  {app_token.token}"):
        status, _, _ = await node.call("GET", "/v1/getcredits", None, headers={"Authorization": header})
        assert status == 200, header


ROUTES = [
    ("GET", "/v1/getcredits"),
    ("POST", "/v1/verify"),
    ("POST", "/v1/bulkverify"),
    ("GET", "/v1/bulkverify/5618983940663962"),
    ("GET", "/v1/bulkverify/5618983940663962/download"),
]


async def test_every_route_needs_a_valid_token(node: LeadRocksNode, app_token: AppToken) -> None:
    wrong = [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer "},
        {"Authorization": app_token.token + "x"},
    ]
    for method, path in ROUTES:
        for header in wrong:
            status, _, body = await node.call(method, path, None, headers=header)
            assert (status, body) == (401, INVALID_TOKEN), (path, header)


async def test_a_disabled_app_is_refused_until_enabled(
    node: LeadRocksNode, pool: asyncpg.Pool[Any], app_token: AppToken
) -> None:
    await apps.set_app_enabled(pool, app_token.app_id, False)
    status, _, body = await node.call("GET", "/v1/getcredits", app_token.token)
    assert (status, body) == (401, INVALID_TOKEN)
    await apps.set_app_enabled(pool, app_token.app_id, True)
    assert await credits_of(node, app_token.token) == 1_000_000


async def test_verify_without_credits_is_refused_and_charges_nothing(
    node: LeadRocksNode, pool: asyncpg.Pool[Any]
) -> None:
    app = await create_app_token(pool, credits=0)
    status, _, body = await verify(node, app.token, "alice@postfix.mailfarm.net")
    assert (status, body) == (403, NO_CREDITS)
    assert await credits_of(node, app.token) == 0


async def test_a_verify_the_engine_fails_is_error_102_and_charges_nothing(
    database_url: str,
    pool: asyncpg.Pool[Any],
    mail_farm: MailFarm,
    monkeypatch: pytest.MonkeyPatch,
    app_token: AppToken,
) -> None:
    for name, value in TEST_ENVIRON.items():
        monkeypatch.setenv(name, value)
    settings = ServiceSettings(database_url=database_url, scheduler_enabled=False)
    app = create_app(settings, pool, EngineConfig.from_env(mail_farm.engine_environ()))
    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as session:
        node = LeadRocksNode(str(server.make_url("")).rstrip("/"), session, pool)
        # A closed engine (a node shutting down) refuses every verification.
        await app[ENGINE_KEY].aclose()
        status, _, body = await verify(node, app_token.token, "alice@postfix.mailfarm.net")
        assert (status, body) == (500, failed(102, "Internal server error, try again later"))
        assert await credits_of(node, app_token.token) == 1_000_000


async def test_verifies_racing_for_the_last_credit_deliver_one_verdict_and_charge_once(
    node: LeadRocksNode, pool: asyncpg.Pool[Any]
) -> None:
    app = await create_app_token(pool, credits=1)
    # Greylisting keeps both verifications running past the balance check, so both are admitted.
    answers = await asyncio.gather(
        *(verify(node, app.token, "alice@greylist.mailfarm.net") for _ in range(2))
    )
    assert sorted(status for status, _, _ in answers) == [200, 403]
    assert [body for status, _, body in answers if status == 403] == [NO_CREDITS]
    assert await credits_of(node, app.token) == 0


async def test_instant_verifies_per_minute(node: LeadRocksNode, pool: asyncpg.Pool[Any]) -> None:
    app = await create_app_token(pool, limits=apps.AppLimits(verifies_per_minute=2))
    for _ in range(2):
        assert (await verify(node, app.token, "alice@postfix.mailfarm.net"))[0] == 200
    status, headers, body = await verify(node, app.token, "alice@postfix.mailfarm.net")
    assert (status, body) == (
        503,
        failed(110, "You have reached the maximum number of instant verify requests"),
    )
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert await credits_of(node, app.token) == 1_000_000 - 2
    other = await create_app_token(pool, limits=apps.AppLimits(verifies_per_minute=2))
    assert (await verify(node, other.token, "alice@postfix.mailfarm.net"))[0] == 200


async def test_requests_per_minute_across_routes(node: LeadRocksNode, pool: asyncpg.Pool[Any]) -> None:
    app = await create_app_token(pool, limits=apps.AppLimits(requests_per_minute=3))
    assert (await node.call("GET", "/v1/getcredits", app.token))[0] == 200
    assert (await verify(node, app.token, "alice@postfix.mailfarm.net"))[0] == 200
    assert (await node.call("GET", "/v1/bulkverify/5618983940663962", app.token))[0] == 404
    status, headers, body = await node.call("GET", "/v1/getcredits", app.token)
    assert (status, body) == (
        503,
        failed(111, "You have reached the maximum number of requests, please try again later"),
    )
    assert 1 <= int(headers["Retry-After"]) <= 60


async def test_default_limits_come_from_the_environment(start_node: NodeFactory, app_token: AppToken) -> None:
    node = await start_node(REQUESTS_PER_MINUTE="1")
    assert (await node.call("GET", "/v1/getcredits", app_token.token))[0] == 200
    status, _, body = await node.call("GET", "/v1/getcredits", app_token.token)
    assert (status, body["error"]["code"]) == (503, 111)


async def test_an_unexpected_failure_is_error_102(
    node: LeadRocksNode, pool: asyncpg.Pool[Any], app_token: AppToken
) -> None:
    await pool.execute("ALTER TABLE leadrocks_lists RENAME TO leadrocks_lists_moved")
    status, _, body = await node.call("GET", "/v1/bulkverify/5618983940663962", app_token.token)
    assert (status, body) == (500, failed(102, "Internal server error, try again later"))
