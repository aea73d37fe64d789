"""`accounts browser-app create|list|show|update|delete` against a real database, and the key they print
used on a real node."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.browser_apps.conftest import key_auth, post_job
from tests.service.test_cli import cli_environ, run_cli
from tests.v2.conftest import V2Node, entries, problem

pytestmark = pytest.mark.timeout(180)

ADDRESS = "alice@postfix.mailfarm.net"


async def _run(database_url: str, *args: str) -> tuple[int, str, str]:
    return await run_cli("accounts", "browser-app", *args, environ=cli_environ(DATABASE_URL=database_url))


async def _json(database_url: str, *args: str) -> dict[str, Any]:
    status, stdout, stderr = await _run(database_url, *args, "--json")
    assert status == 0, stderr
    result: dict[str, Any] = orjson.loads(stdout)
    return result


async def test_create_show_update_list_and_delete_drive_what_the_node_enforces(
    node: V2Node, database_url: str
) -> None:
    account = str(node.account.account_id)
    created = await _json(
        database_url,
        "create",
        "--account",
        account,
        "--name",
        "signup form",
        "--origin",
        "https://*.example.com",
        "--origin",
        "http://localhost:????",
        "--max-entries",
        "1",
        "--throttle",
        "5/minute",
        "--throttle",
        "50/day/ip",
    )
    key = created["key"]
    assert created == {
        "key": key,
        "account_id": node.account.account_id,
        "name": "signup form",
        "active": True,
        "origins_enabled": True,
        "origins": ["https://*.example.com", "http://localhost:????"],
        "captcha_required": False,
        "max_entries_per_job": 1,
        "throttling": ["5/minute", "50/day/ip"],
    }
    assert await _json(database_url, "show", "--app", key) == created
    await problem(await post_job(node, key_auth(key, "https://evil.org"), entries(ADDRESS)), 403)
    trusted = key_auth(key, "https://www.example.com")
    await problem(await post_job(node, trusted, entries(ADDRESS, ADDRESS)), 400)
    assert (await post_job(node, trusted, entries(ADDRESS))).status == 200

    updated = await _json(
        database_url,
        "update",
        "--app",
        key,
        "--any-origin",
        "--max-entries",
        "0",
        "--no-throttle",
        "--captcha",
    )
    assert updated == {
        **created,
        "origins_enabled": False,
        "origins": [],
        "max_entries_per_job": None,
        "throttling": [],
        "captcha_required": True,
    }
    refused = await post_job(node, key_auth(key, "https://evil.org"), entries(ADDRESS, ADDRESS))
    assert (await problem(refused, 401))["type"] == "/problems/captcha-validation-failed"

    await _json(database_url, "update", "--app", key, "--disable")
    await problem(await post_job(node, key_auth(key), entries(ADDRESS)), 401)
    listed = await _json(database_url, "list", "--account", account)
    assert [(app["key"], app["active"]) for app in listed["browser_apps"]] == [(key, False)]

    assert await _json(database_url, "delete", "--app", key) == {"key": key, "deleted": True}
    assert (await _json(database_url, "list", "--account", account))["browser_apps"] == []
    status, stdout, _ = await _run(database_url, "show", "--app", key, "--json")
    assert status == 1
    assert orjson.loads(stdout) == {"error": f"no browser app {key}"}


async def test_text_output_and_other_users_are_not_browser_apps(node: V2Node, database_url: str) -> None:
    status, stdout, stderr = await _run(
        database_url, "create", "--account", str(node.account.account_id), "--name", "w", "--captcha"
    )
    assert status == 0, stderr
    lines = dict(line.split(": ", 1) for line in stdout.splitlines())
    assert lines["captcha_required"] == "True"
    assert lines["origins"] == ""
    assert lines["max_entries_per_job"] == "-"
    status, _, stderr = await _run(database_url, "show", "--app", node.account.sid)
    assert status == 1
    assert f"no browser app {node.account.sid}" in stderr


@pytest.mark.parametrize("rule", ["5", "5/week", "0/minute", "x/hour", "5/minute/host", "5/minute/ip/x"])
async def test_a_malformed_throttle_is_a_usage_error(database_url: str, rule: str) -> None:
    status, _, stderr = await _run(
        database_url, "create", "--account", "1", "--name", "w", "--throttle", rule
    )
    assert status == 2
    assert "--throttle" in stderr
