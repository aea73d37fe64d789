"""The limits on what a browser app submits: entries per job, throttling (global and per client IP) and the
CAPTCHA requirement, on real nodes over HTTP; a refused submission stores and charges nothing."""

from __future__ import annotations

import ipaddress
from decimal import Decimal
from typing import Any

from tests.browser_apps.conftest import create_browser_app, key_auth, post_job, stored_jobs
from tests.support.siteverify import Siteverify
from tests.v2.conftest import NodeFactory, V2Node, entries, problem
from verifalia_server.store.credits import get_balance
from verifalia_server.store.users import ThrottlingRule

ADDRESS = "alice@postfix.mailfarm.net"
CAPTCHA_FAILED = "/problems/captcha-validation-failed"


async def stored(node: V2Node) -> tuple[int, int, Decimal, Decimal | None]:
    """The jobs and entries stored, and the account's credit packs and free credits left."""
    balance = await get_balance(node.pool, node.account.account_id)
    return (*await stored_jobs(node), balance.credit_packs, balance.free_credits)


async def age_jobs(node: V2Node, seconds: int) -> None:
    """Move every job's creation `seconds` into the past, as if that time had gone by."""
    await node.pool.execute("UPDATE jobs SET created_on = created_on - make_interval(secs => $1)", seconds)


async def test_more_entries_than_the_app_allows_is_400_and_stores_nothing(node: V2Node) -> None:
    key = await create_browser_app(node.pool, node.account.account_id, max_entries_per_job=2)
    before = await stored(node)
    body = await problem(await post_job(node, key_auth(key), entries(ADDRESS, ADDRESS, ADDRESS)), 400)
    assert "at most 2 entries" in body["detail"]
    assert await stored(node) == before
    response = await post_job(node, key_auth(key), entries(ADDRESS, ADDRESS))
    assert response.status == 200, await response.text()


async def test_a_global_limit_answers_429_with_the_wait_until_a_slot_frees(node: V2Node) -> None:
    rules = (ThrottlingRule(2, "minute", "global"), ThrottlingRule(100, "day", "global"))
    key = await create_browser_app(node.pool, node.account.account_id, throttling=rules)
    for _ in range(2):
        assert (await post_job(node, key_auth(key), entries(ADDRESS))).status == 200
    before = await stored(node)
    refused = await post_job(node, key_auth(key), entries(ADDRESS))
    body = await problem(refused, 429)
    assert "2 jobs per minute" in body["detail"]
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    assert await stored(node) == before
    # The older job leaves the window 20 seconds from now; the newer, later.
    await node.pool.execute(
        "UPDATE jobs SET created_on = now() - interval '40 seconds'"
        " WHERE id = (SELECT id FROM jobs ORDER BY created_on LIMIT 1)"
    )
    refused = await post_job(node, key_auth(key), entries(ADDRESS))
    assert refused.status == 429
    assert 19 <= int(refused.headers["Retry-After"]) <= 21
    await age_jobs(node, 61)
    assert (await post_job(node, key_auth(key), entries(ADDRESS))).status == 200


async def test_deleting_jobs_frees_no_slot(node: V2Node) -> None:
    key = await create_browser_app(
        node.pool, node.account.account_id, throttling=(ThrottlingRule(1, "hour", "global"),)
    )
    response = await post_job(node, key_auth(key), entries(ADDRESS))
    job_id = (await response.json())["overview"]["id"]
    async with node.session.delete(node.v2(f"/email-validations/{job_id}"), headers=node.auth) as deleted:
        assert deleted.status == 200
    refused = await post_job(node, key_auth(key), entries(ADDRESS))
    assert "1 job per hour" in (await problem(refused, 429))["detail"]
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3600


async def test_a_per_ip_limit_counts_each_client_address_apart(start_v2_node: NodeFactory) -> None:
    node = await start_v2_node(trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),))
    key = await create_browser_app(
        node.pool, node.account.account_id, throttling=(ThrottlingRule(1, "day", "ipAddress"),)
    )

    def from_client(address: str) -> dict[str, str]:
        return {**key_auth(key), "X-Forwarded-For": address}

    assert (await post_job(node, from_client("198.51.100.7"), entries(ADDRESS))).status == 200
    refused = await post_job(node, from_client("198.51.100.7"), entries(ADDRESS))
    assert "1 job per day from each IP address" in (await problem(refused, 429))["detail"]
    assert (await post_job(node, from_client("198.51.100.8"), entries(ADDRESS))).status == 200
    owners = await node.pool.fetch("SELECT owner, host(client_ip) AS ip FROM jobs ORDER BY created_on")
    assert [(row["owner"], row["ip"]) for row in owners] == [(key, "198.51.100.7"), (key, "198.51.100.8")]


async def test_other_users_of_the_account_are_not_throttled_by_the_app(node: V2Node) -> None:
    key = await create_browser_app(
        node.pool, node.account.account_id, throttling=(ThrottlingRule(1, "day", "global"),)
    )
    assert (await post_job(node, key_auth(key), entries(ADDRESS))).status == 200
    for _ in range(2):
        assert (await post_job(node, node.auth, entries(ADDRESS))).status == 200
    assert (await post_job(node, key_auth(key), entries(ADDRESS))).status == 429


def with_captcha(provider: str, token: str) -> dict[str, Any]:
    """A one-entry job request carrying a CAPTCHA."""
    return {**entries(ADDRESS), "captcha": {"provider": provider, "token": token}}


async def test_an_app_requiring_a_captcha_refuses_submissions_without_a_valid_one(
    start_v2_node: NodeFactory, siteverify: Siteverify
) -> None:
    node = await start_v2_node({**siteverify.environ(), "VERIFALIA_CAPTCHA_TIMEOUT": "1"})
    key = await create_browser_app(node.pool, node.account.account_id, captcha_required=True)
    before = await stored(node)
    for body in (entries(ADDRESS), with_captcha("Turnstile", "forged")):
        refused = await post_job(node, key_auth(key), body)
        assert (await problem(refused, 401))["type"] == CAPTCHA_FAILED
    v1 = f"{node.url}/v1.4/email-validations"
    async with node.session.post(
        v1, json={"entries": [{"inputData": ADDRESS}]}, headers=key_auth(key)
    ) as old:
        assert old.status == 403
        assert "CAPTCHA" in (await old.json())["message"]
    assert await stored(node) == before
    accepted = await post_job(node, key_auth(key), with_captcha("Turnstile", siteverify.issue("turnstile")))
    assert accepted.status == 200, await accepted.text()
    assert [request["remoteip"] for request in siteverify.requests][-1] == "127.0.0.1"


async def test_an_app_not_requiring_a_captcha_submits_without_one(
    start_v2_node: NodeFactory, siteverify: Siteverify
) -> None:
    node = await start_v2_node({**siteverify.environ(), "VERIFALIA_CAPTCHA_TIMEOUT": "1"})
    key = await create_browser_app(node.pool, node.account.account_id)
    assert (await post_job(node, key_auth(key), entries(ADDRESS))).status == 200
    assert siteverify.requests == []
