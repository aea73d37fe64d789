"""The v1.4 API through HTTP: every endpoint, the snapshot fields, and every error status."""

from __future__ import annotations

import asyncio
import re
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
import pytest

from tests.service.conftest import Node, NodeFactory, wait_for_completion
from tests.support.database import TestAccount, create_test_account, create_test_user
from tests.support.nodes import basic_auth
from verifalia_server.api.v1.handlers import RELAXED_JSON_MAX_BYTES
from verifalia_server.engine.statuses import Status
from verifalia_server.engine.verdict import Verdict
from verifalia_server.store.users import set_user_active
from verifalia_server.store.work import EntryResult, JobOutcomes, claim, record_results

pytestmark = pytest.mark.timeout(180)

SNAPSHOT_ENTRY_FIELDS = {
    "inputData",
    "completedOn",
    "emailAddress",
    "asciiEmailAddressDomainPart",
    "emailAddressLocalPart",
    "emailAddressDomainPart",
    "hasInternationalDomainName",
    "hasInternationalMailboxName",
    "isDisposableEmailAddress",
    "isFreeEmailAddress",
    "isRoleAccount",
    "syntaxFailureIndex",
    "status",
    "isSuccess",
    "isSyntaxFailure",
    "isDnsFailure",
    "isSmtpFailure",
    "isMailboxFailure",
    "isCatchAllFailure",
    "isTimeoutFailure",
    "isNetworkFailure",
}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
TIMESPAN = re.compile(r"^(\d+\.)?\d{2}:\d{2}:\d{2}$")


async def post_job(node: Node, account: TestAccount, body: Any) -> tuple[int, dict[str, str], Any]:
    data = body if isinstance(body, (str, bytes)) else orjson.dumps(body)
    async with node.session.post(
        f"{node.url}/v1.4/email-validations",
        data=data,
        headers={**node.auth(account), "Content-Type": "application/json"},
    ) as response:
        return response.status, dict(response.headers), await response.json(content_type=None)


async def balance(node: Node, account: TestAccount) -> dict[str, Any]:
    async with node.session.get(f"{node.url}/v1.4/account-balance", headers=node.auth(account)) as response:
        assert response.status == 200
        result: dict[str, Any] = await response.json()
        return result


async def test_submit_then_poll_returns_every_documented_field(node: Node, account: TestAccount) -> None:
    status, headers, snapshot = await post_job(
        node,
        account,
        {
            "entries": [
                {"inputData": "alice@postfix.mailfarm.net", "custom": "c_1"},
                {"inputData": "nobody@postfix.mailfarm.net"},
                {"inputData": "foo@inv@lid.tld"},
                {"inputData": "someone@example.com"},
            ],
            "quality": "standard",
            "priority": 100,
        },
    )
    assert status == 202
    job_url = headers["Location"]
    assert job_url == f"{node.url}/v1.4/email-validations/{snapshot['uniqueID']}"
    assert uuid.UUID(snapshot["uniqueID"])
    assert ISO_UTC.match(snapshot["submittedOn"])
    assert snapshot["priority"] == 100
    assert snapshot["progress"]["noOfTotalEntries"] == 4

    final = await wait_for_completion(node.session, job_url, node.auth(account))
    assert ISO_UTC.match(final["completedOn"])
    assert final["engineVersion"]
    assert final["progress"] == {"noOfTotalEntries": 4, "noOfCompletedEntries": 4}
    entries = final["entries"]
    assert [entry["inputData"] for entry in entries] == [
        "alice@postfix.mailfarm.net",
        "nobody@postfix.mailfarm.net",
        "foo@inv@lid.tld",
        "someone@example.com",
    ]
    for entry in entries:
        assert entry.keys() >= SNAPSHOT_ENTRY_FIELDS
        assert ISO_UTC.match(entry["completedOn"])
    alice, nobody, invalid, special = entries
    assert alice["status"] == "Success"
    assert alice["isSuccess"] is True
    assert alice["custom"] == "c_1"
    assert alice["emailAddressLocalPart"] == "alice"
    assert alice["asciiEmailAddressDomainPart"] == "postfix.mailfarm.net"
    assert nobody["status"] == "MailboxDoesNotExist"
    assert nobody["isMailboxFailure"] is True
    assert "custom" not in nobody
    assert invalid["isSyntaxFailure"] is True
    assert isinstance(invalid["syntaxFailureIndex"], int)
    assert special["status"] == "DomainDoesNotExist"
    assert special["isDnsFailure"] is True
    assert not {"classification", "suggestions", "index"} & alice.keys()


async def test_in_progress_snapshots_estimate_the_remaining_time(
    start_node: NodeFactory, account: TestAccount
) -> None:
    idle = await start_node(scheduler_enabled=False)
    inputs = [{"inputData": f"user{index}@example.com"} for index in range(10)]
    _status, headers, _snapshot = await post_job(idle, account, {"entries": inputs})
    job_id = uuid.UUID(headers["Location"].rsplit("/", 1)[1])
    claimed = await claim(idle.pool, job_id, "test-worker", 60, 4)
    done = [
        EntryResult(item.index, Verdict(item.input_data, Status.DOMAIN_DOES_NOT_EXIST)) for item in claimed
    ]
    await record_results(idle.pool, "test-worker", {job_id: JobOutcomes(results=done)})
    async with idle.session.get(headers["Location"], headers=idle.auth(account)) as response:
        assert response.status == 202
        snapshot = await response.json()
    assert snapshot["progress"]["noOfCompletedEntries"] == 4
    assert TIMESPAN.match(snapshot["progress"]["estimatedRemainingTime"])
    assert "entries" not in snapshot
    assert "completedOn" not in snapshot


async def test_relaxed_body_of_the_docs_curl_example_is_accepted(node: Node, account: TestAccount) -> None:
    status, _headers, snapshot = await post_job(
        node, account, "{ entries: [ { inputData: 'batman@example.com' } ] }"
    )
    assert status == 202
    assert snapshot["progress"]["noOfTotalEntries"] == 1


async def test_relaxed_bodies_are_parsed_up_to_their_size_cap(node: Node, account: TestAccount) -> None:
    relaxed = "{ entries: [ { inputData: 'batman@example.com' } ] }"
    padding = RELAXED_JSON_MAX_BYTES - len(relaxed)
    status, _headers, _snapshot = await post_job(node, account, relaxed + " " * padding)
    assert status == 202
    status, _headers, error = await post_job(node, account, relaxed + " " * (padding + 1))
    assert status == 400
    assert "not valid JSON" in orjson.dumps(error).decode()


async def test_submission_answers_200_when_the_job_completes_within_the_wait(
    start_node: NodeFactory, account: TestAccount
) -> None:
    node = await start_node(v1_submit_wait=10.0)
    status, _headers, snapshot = await post_job(node, account, {"entries": [{"inputData": "x@example.com"}]})
    assert status == 200
    assert snapshot["entries"][0]["status"] == "DomainDoesNotExist"
    assert "priority" not in snapshot


async def test_default_priority_is_omitted_from_the_snapshot(node: Node, account: TestAccount) -> None:
    _status, _headers, snapshot = await post_job(
        node, account, {"entries": [{"inputData": "x@example.com"}], "priority": 127}
    )
    assert "priority" not in snapshot


async def test_safe_deduplication_marks_later_copies_and_does_not_charge_them(
    node: Node, pool: asyncpg.Pool[Any]
) -> None:
    account = await create_test_account(pool, credits=100)
    entries = [
        "alice@postfix.mailfarm.net",
        "Alice@postfix.mailfarm.net",  # RFC 5321 §2.4: local parts are case-sensitive, not a duplicate
        "alice@POSTFIX.mailfarm.net",
        '"alice"@postfix.mailfarm.net',
        "not an address",
        "not an address",
    ]
    status, headers, _snapshot = await post_job(
        node, account, {"entries": [{"inputData": text} for text in entries], "deduplication": "safe"}
    )
    assert status == 202
    final = await wait_for_completion(node.session, headers["Location"], node.auth(account))
    statuses = [entry["status"] for entry in final["entries"]]
    assert statuses[2] == statuses[3] == "Duplicate"
    assert final["entries"][2]["duplicateOf"] == 0
    assert final["entries"][3]["duplicateOf"] == 0
    assert final["entries"][3]["emailAddress"] == "alice@postfix.mailfarm.net"
    assert "Duplicate" not in (statuses[0], statuses[1], statuses[4], statuses[5])
    assert all("duplicateOf" not in final["entries"][index] for index in (0, 1, 4, 5))
    assert (await balance(node, account))["credits"] == 96.0


async def test_quality_prices_each_entry_and_free_credits_go_first(
    node: Node, pool: asyncpg.Pool[Any]
) -> None:
    account = await create_test_account(pool, credits=10, free_daily=3)
    status, _headers, _snapshot = await post_job(
        node,
        account,
        {"entries": [{"inputData": "a@example.com"}, {"inputData": "b@example.com"}], "quality": "high"},
    )
    assert status == 202
    result = await balance(node, account)
    assert result["freeCredits"] == 0.0
    assert result["credits"] == 9.0
    assert TIMESPAN.match(result["freeCreditsResetIn"])
    usage = await pool.fetchrow(
        "SELECT credit_packs, free_credits FROM daily_usage WHERE account_id = $1", account.account_id
    )
    assert (usage["credit_packs"], usage["free_credits"]) == (Decimal(1), Decimal(3))


async def test_a_job_the_balance_cannot_cover_gets_402_and_stores_nothing(
    node: Node, pool: asyncpg.Pool[Any]
) -> None:
    account = await create_test_account(pool, credits=1)
    status, _headers, body = await post_job(
        node, account, {"entries": [{"inputData": "a@example.com"}, {"inputData": "b@example.com"}]}
    )
    assert status == 402
    assert body["status"] == 402
    assert "credits" in body["message"]
    assert await pool.fetchval("SELECT count(*) FROM jobs") == 0
    assert await pool.fetchval("SELECT count(*) FROM entries") == 0
    assert (await balance(node, account))["credits"] == 1.0


async def test_bad_requests_get_400_naming_the_field(node: Node, account: TestAccount) -> None:
    cases: list[tuple[Any, str]] = [
        ("{not json", "JSON"),
        ([1, 2], "entries"),
        ({}, "entries"),
        ({"entries": []}, "entries"),
        ({"entries": "a@b.c"}, "entries"),
        ({"entries": [{"custom": "x"}]}, "entries[0].inputData"),
        ({"entries": [{"inputData": 5}]}, "entries[0].inputData"),
        ({"entries": [{"inputData": "a@b.c", "custom": "x" * 51}]}, "entries[0].custom"),
        ({"entries": [{"inputData": "a@b.c"}], "quality": "ultra"}, "quality"),
        ({"entries": [{"inputData": "a@b.c"}], "priority": 256}, "priority"),
        ({"entries": [{"inputData": "a@b.c"}], "priority": "high"}, "priority"),
        ({"entries": [{"inputData": "a@b.c"}], "priority": "5"}, "priority"),
        ({"entries": [{"inputData": "a@b.c"}], "priority": True}, "priority"),
        ({"entries": [{"inputData": "a@b.c"}, "b@c.d"]}, "entries[1]"),
        ({"entries": [{"inputData": "a@b.c"}, {"inputData": "b@c.d", "custom": 7}]}, "entries[1].custom"),
        ({"entries": [{"inputData": "a@b.c"}], "deduplication": "aggressive"}, "deduplication"),
    ]
    for body, field in cases:
        status, headers, error = await post_job(node, account, body)
        assert status == 400, body
        assert headers["Content-Type"].startswith("application/json")
        assert error["status"] == 400
        assert field in error["message"], (body, error)


async def test_credentials_are_checked_on_every_route(
    node: Node, account: TestAccount, pool: asyncpg.Pool[Any]
) -> None:
    job_url = f"{node.url}/v1.4/email-validations/{uuid.uuid4()}"
    balance_url = f"{node.url}/v1.4/account-balance"
    bad = [
        {},
        basic_auth(account.sid, "wrong-token"),
        basic_auth("unknown-sid", account.token),
        {"Authorization": "Basic !!!"},
        {"Authorization": "Bearer not-a-token"},
    ]
    for headers in bad:
        for method, url in (
            ("GET", job_url),
            ("DELETE", job_url),
            ("GET", balance_url),
            ("POST", job_url[:-37]),
        ):
            async with node.session.request(method, url, headers=headers, data=b"{}") as response:
                assert response.status == 401, (method, url, headers)
                assert response.headers["WWW-Authenticate"] == 'Basic realm="verifalia"'
                body = await response.json()
                assert body["status"] == 401
                assert "Traceback" not in body["message"]

    await set_user_active(pool, account.sid, False)
    async with node.session.get(balance_url, headers=node.auth(account)) as response:
        assert response.status == 401


async def test_missing_permissions_get_403(node: Node, account: TestAccount, pool: asyncpg.Pool[Any]) -> None:
    reader = await create_test_user(pool, account.account_id, ("email-verifications:read",))
    headers = basic_auth(reader.sid, reader.token)
    async with node.session.get(f"{node.url}/v1.4/account-balance", headers=headers) as response:
        assert response.status == 403
        assert "credits:read" in (await response.json())["message"]
    async with node.session.post(
        f"{node.url}/v1.4/email-validations",
        headers=headers,
        json={"entries": [{"inputData": "a@example.com"}]},
    ) as response:
        assert response.status == 403
    async with node.session.delete(
        f"{node.url}/v1.4/email-validations/{uuid.uuid4()}", headers=headers
    ) as response:
        assert response.status == 403
    async with node.session.get(
        f"{node.url}/v1.4/email-validations/{uuid.uuid4()}", headers=headers
    ) as response:
        assert response.status == 404


async def test_bearer_tokens_authenticate_with_the_shared_secret(node: Node, account: TestAccount) -> None:
    from verifalia_server.api.shared import tokens
    from verifalia_server.store.secrets import get_or_create

    token = tokens.issue(account.sid, await get_or_create(node.pool, "jwt"))
    async with node.session.get(
        f"{node.url}/v1.4/account-balance", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status == 200


async def test_unknown_and_foreign_jobs_are_404(
    node: Node, account: TestAccount, pool: asyncpg.Pool[Any]
) -> None:
    _status, headers, _snapshot = await post_job(node, account, {"entries": [{"inputData": "a@example.com"}]})
    other = await create_test_account(pool, name="other")
    for url in (headers["Location"], f"{node.url}/v1.4/email-validations/{uuid.uuid4()}"):
        for method in ("GET", "DELETE"):
            async with node.session.request(method, url, headers=node.auth(other)) as response:
                assert response.status == 404
                assert (await response.json())["status"] == 404
    async with node.session.get(
        f"{node.url}/v1.4/email-validations/not-a-uuid", headers=node.auth(account)
    ) as response:
        assert response.status == 404
    # The owner still sees it.
    await wait_for_completion(node.session, headers["Location"], node.auth(account))


async def test_delete_answers_406_in_progress_200_once_then_410(
    start_node: NodeFactory, account: TestAccount
) -> None:
    idle = await start_node(scheduler_enabled=False)
    _status, headers, _snapshot = await post_job(idle, account, {"entries": [{"inputData": "a@example.com"}]})
    job_url = headers["Location"]
    async with idle.session.delete(job_url, headers=idle.auth(account)) as response:
        assert response.status == 406
        assert (await response.json())["status"] == 406
    async with idle.session.get(job_url, headers=idle.auth(account)) as response:
        assert response.status == 202

    worker = await start_node()
    await wait_for_completion(worker.session, job_url.replace(idle.url, worker.url), worker.auth(account))
    async with idle.session.delete(job_url, headers=idle.auth(account)) as response:
        assert response.status == 200
    async with idle.session.delete(job_url, headers=idle.auth(account)) as response:
        assert response.status == 410
    async with idle.session.get(job_url, headers=idle.auth(account)) as response:
        assert response.status == 410
        assert (await response.json())["status"] == 410
    assert await worker.pool.fetchval("SELECT count(*) FROM entries") == 0


async def test_completed_jobs_expire_after_their_retention(
    start_node: NodeFactory, account: TestAccount
) -> None:
    node = await start_node(retention_days=1.0 / 86_400)
    _status, headers, _snapshot = await post_job(node, account, {"entries": [{"inputData": "a@example.com"}]})
    job_url = headers["Location"]
    await wait_for_completion(node.session, job_url, node.auth(account))
    job_id = uuid.UUID(job_url.rsplit("/", 1)[1])
    for _ in range(100):
        if await node.pool.fetchval("SELECT status FROM jobs WHERE id = $1", job_id) == "Expired":
            break
        await asyncio.sleep(0.05)
    async with node.session.get(job_url, headers=node.auth(account)) as response:
        assert response.status == 410
    assert await node.pool.fetchval("SELECT status FROM jobs WHERE id = $1", job_id) == "Expired"
    assert await node.pool.fetchval("SELECT count(*) FROM entries WHERE job_id = $1", job_id) == 0


async def test_bodies_over_the_limit_get_413(start_node: NodeFactory, account: TestAccount) -> None:
    node = await start_node(max_body_bytes=1000)
    body = {"entries": [{"inputData": f"user{index}@example.com"} for index in range(100)]}
    status, _headers, error = await post_job(node, account, body)
    assert status == 413
    assert error["status"] == 413


async def test_jobs_over_the_entry_limit_get_400_and_store_nothing(
    start_node: NodeFactory, account: TestAccount
) -> None:
    node = await start_node(max_entries_per_job=2)
    entries = [{"inputData": f"user{index}@example.com"} for index in range(3)]
    status, _headers, error = await post_job(node, account, {"entries": entries})
    assert status == 400
    assert "'entries'" in error["message"]
    assert "at most 2" in error["message"]
    assert await node.pool.fetchval("SELECT count(*) FROM jobs") == 0
    status, _headers, _snapshot = await post_job(node, account, {"entries": entries[:2]})
    assert status == 202


async def test_options_are_case_insensitive_and_null_means_the_default(
    node: Node, account: TestAccount
) -> None:
    body = {
        "entries": [{"inputData": "a@example.com", "custom": None, "unknown": 1}],
        "quality": " EXTREME ",
        "deduplication": "SAFE",
        "priority": None,
    }
    status, headers, _snapshot = await post_job(node, account, body)
    assert status == 202
    job_id = uuid.UUID(headers["Location"].rsplit("/", 1)[1])
    row = await node.pool.fetchrow("SELECT quality, deduplication, priority FROM jobs WHERE id = $1", job_id)
    assert dict(row) == {"quality": "Extreme", "deduplication": "Safe", "priority": None}
    status, headers, _snapshot = await post_job(
        node, account, {"entries": [{"inputData": "a@example.com"}], "quality": None, "deduplication": None}
    )
    assert status == 202
    job_id = uuid.UUID(headers["Location"].rsplit("/", 1)[1])
    row = await node.pool.fetchrow("SELECT quality, deduplication FROM jobs WHERE id = $1", job_id)
    assert dict(row) == {"quality": "Standard", "deduplication": "Off"}


async def test_leading_double_slash_is_routed_without_redirect(node: Node, account: TestAccount) -> None:
    async with node.session.get(
        f"{node.url}//v1.4/account-balance", headers=node.auth(account), allow_redirects=False
    ) as response:
        assert response.status == 200
        assert "credits" in await response.json()


async def test_unknown_routes_and_methods_are_v14_errors(node: Node, account: TestAccount) -> None:
    async with node.session.get(f"{node.url}/v1.4/nothing-here", headers=node.auth(account)) as response:
        assert response.status == 404
        assert (await response.json())["status"] == 404
    async with node.session.put(f"{node.url}/v1.4/account-balance", headers=node.auth(account)) as response:
        assert response.status == 405
        assert "GET" in response.headers["Allow"]


async def test_health_reports_the_node_and_its_database(node: Node) -> None:
    async with node.session.get(f"{node.url}/health") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok", "node": "api-1", "database": "ok"}
