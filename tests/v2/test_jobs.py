"""v2 job routes over HTTP: submit, get, overview, delete, version prefixes, deduplication and options."""

from __future__ import annotations

import re
import time
import uuid

from tests.support.database import create_test_account
from tests.support.nodes import basic_auth
from tests.v2.conftest import NodeFactory, RecordingExecutor, V2Node, entries, problem, submit

TIMESPAN = re.compile(r"^(\d+\.)?\d{2}:\d{2}:\d{2}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def test_submit_waits_and_answers_200_with_the_first_entries_page(node: V2Node) -> None:
    response = await submit(
        node,
        {
            "entries": [
                {"inputData": "alice@postfix.mailfarm.net", "custom": "first"},
                {"inputData": "nobody@postfix.mailfarm.net"},
                {"inputData": "x@nullmx.mailfarm.net"},
            ],
            "quality": "High",
            "priority": 200,
            "name": "launch list",
            "retention": "0:10:0",
        },
    )
    assert response.status == 200
    assert response.content_type == "application/json"
    body = await response.json()
    overview = body["overview"]
    assert overview["status"] == "Completed"
    assert uuid.UUID(overview["id"])
    assert overview["noOfEntries"] == 3
    assert overview["quality"] == "High"
    assert overview["priority"] == 200
    assert overview["name"] == "launch list"
    assert overview["retention"] == "00:10:00"
    assert overview["deduplication"] == "Off"
    assert overview["owner"] == node.account.sid
    assert overview["clientIP"] == "127.0.0.1"
    for field in ("submittedOn", "createdOn", "completedOn"):
        assert ISO.match(overview[field]), overview[field]
    assert "progress" not in overview
    data = body["entries"]["data"]
    assert [(entry["index"], entry["status"], entry["classification"]) for entry in data] == [
        (0, "Success", "Deliverable"),
        (1, "MailboxDoesNotExist", "Undeliverable"),
        (2, "DomainHasNullMx", "Undeliverable"),
    ]
    assert data[0]["custom"] == "first"
    assert data[0]["emailAddressDomainPart"] == "postfix.mailfarm.net"
    assert all(ISO.match(entry["completedOn"]) for entry in data)
    assert body["entries"]["meta"]["isTruncated"] is False


async def test_long_poll_on_one_node_is_released_by_a_job_completed_on_another(
    start_v2_node: NodeFactory,
) -> None:
    node = await start_v2_node(scheduler_enabled=False)
    response = await submit(node, entries("alice@postfix.mailfarm.net"), query="waitTime=0")
    assert response.status == 202
    body = await response.json()
    overview = body["overview"]
    assert set(body) == {"overview"}
    assert overview["status"] == "InProgress"
    assert overview["progress"]["percentage"] == 0
    assert overview["priority"] is None
    assert TIMESPAN.match(overview["retention"])
    assert response.headers["Location"] == f"/v2.6/email-validations/{overview['id']}"

    # A second node processes the job; its completion NOTIFY releases the long-poll held by the first.
    await start_v2_node(account=node.account)
    started = time.monotonic()
    async with node.session.get(
        node.v2(f"/email-validations/{overview['id']}?waitTime=20000"), headers=node.auth
    ) as polled:
        assert polled.status == 200
        done = await polled.json()
    assert time.monotonic() - started < 10
    assert done["overview"]["status"] == "Completed"
    assert done["entries"]["data"][0]["status"] == "Success"


async def test_overview_is_the_bare_overview(node: V2Node) -> None:
    created = await (await submit(node, entries("bob@exim.mailfarm.net"))).json()
    job_id = created["overview"]["id"]
    async with node.session.get(
        node.v2(f"/email-validations/{job_id}/overview"), headers=node.auth
    ) as response:
        assert response.status == 200
        overview = await response.json()
    assert overview["id"] == job_id
    assert overview["status"] == "Completed"


async def test_any_v2_version_prefix_and_a_doubled_slash_are_routed(node: V2Node) -> None:
    for version in ("v2.5", "v2.7", "v2.10"):
        async with node.session.get(node.v2("/credits/balance", version), headers=node.auth) as response:
            assert response.status == 200, version
    async with node.session.get(f"{node.url}//v2.6/credits/balance", headers=node.auth) as response:
        assert response.status == 200
    for version in ("v1.9", "v3.0"):
        async with node.session.get(f"{node.url}/{version}/credits/balance", headers=node.auth) as response:
            assert response.status == 404, version


async def test_unknown_and_foreign_jobs_are_404(node: V2Node) -> None:
    created = await (await submit(node, entries("alice@postfix.mailfarm.net"))).json()
    stranger = await create_test_account(node.pool)
    for job_id, headers in (
        (str(uuid.uuid4()), node.auth),
        ("not-a-job", node.auth),
        (created["overview"]["id"], basic_auth(stranger.sid, stranger.token)),
    ):
        async with node.session.get(node.v2(f"/email-validations/{job_id}"), headers=headers) as response:
            await problem(response, 404)


async def test_delete_answers_200_then_410_and_the_job_is_gone(node: V2Node) -> None:
    created = await (await submit(node, entries("alice@postfix.mailfarm.net"))).json()
    url = node.v2(f"/email-validations/{created['overview']['id']}")
    async with node.session.delete(url, headers=node.auth) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
    async with node.session.delete(url, headers=node.auth) as response:
        await problem(response, 410)
    for suffix in ("", "/overview", "/entries"):
        async with node.session.get(url + suffix, headers=node.auth) as response:
            await problem(response, 410)


async def test_safe_and_relaxed_deduplication_mark_later_occurrences(
    node: V2Node, worker_threads: RecordingExecutor
) -> None:
    addresses = ["Alice@postfix.mailfarm.net", "Alice@POSTFIX.mailfarm.net", "alice@postfix.mailfarm.net"]
    safe = await (await submit(node, {**entries(*addresses), "deduplication": "Safe"})).json()
    assert [entry.get("duplicateOf") for entry in safe["entries"]["data"]] == [None, 0, None]
    assert safe["entries"]["data"][1]["status"] == "Duplicate"
    relaxed = await (await submit(node, {**entries(*addresses), "deduplication": "Relaxed"})).json()
    assert relaxed["overview"]["deduplication"] == "Relaxed"
    assert [entry.get("duplicateOf") for entry in relaxed["entries"]["data"]] == [None, 0, 0]
    assert worker_threads.ran.count("_new_entries") == 2
    off = await (await submit(node, entries(*addresses))).json()
    assert all("duplicateOf" not in entry for entry in off["entries"]["data"])


async def test_invalid_options_are_400_problems(node: V2Node) -> None:
    bad_bodies = [
        {"entries": []},
        {"entries": [{"inputData": 5}]},
        {**entries("a@b.example"), "quality": "Ultra"},
        {**entries("a@b.example"), "deduplication": "Sometimes"},
        {**entries("a@b.example"), "priority": 256},
        {**entries("a@b.example"), "retention": "0:1:0"},
        {**entries("a@b.example"), "retention": "31.0:0:0"},
        {**entries("a@b.example"), "retention": "ten minutes"},
        {**entries("a@b.example"), "callback": {"url": "ftp://example.com/x"}},
        {**entries("a@b.example"), "callback": {"url": "http://127.0.0.1:9/x"}},
        {**entries("a@b.example"), "callback": {"url": "https://example.com/x", "version": "2.0"}},
        ["a@b.example"],
    ]
    for body in bad_bodies:
        response = await submit(node, body)
        await problem(response, 400)
    async with node.session.post(
        node.v2("/email-validations"),
        data=b"{not json",
        headers={**node.auth, "Content-Type": "application/json"},
    ) as response:
        await problem(response, 400)


async def test_wait_time_is_validated(node: V2Node) -> None:
    response = await submit(node, entries("alice@postfix.mailfarm.net"), query="waitTime=soon")
    await problem(response, 400)


async def test_a_job_in_progress_answers_202_everywhere_and_can_be_deleted(
    start_v2_node: NodeFactory,
) -> None:
    node = await start_v2_node(scheduler_enabled=False)
    created = await (await submit(node, entries("alice@postfix.mailfarm.net"), query="waitTime=0")).json()
    url = node.v2(f"/email-validations/{created['overview']['id']}")
    async with node.session.get(f"{url}/overview?waitTime=100", headers=node.auth) as response:
        assert response.status == 202
        assert (await response.json())["status"] == "InProgress"
    async with node.session.get(f"{url}?waitTime=0", headers=node.auth) as response:
        assert response.status == 202
    async with node.session.delete(url, headers=node.auth) as response:
        assert response.status == 200
    async with node.session.get(url, headers=node.auth) as response:
        await problem(response, 410)
