"""`accounts list|show` and `accounts user list|rotate-token|disable|enable` against a real database,
with their effect on a real node's Basic and bearer authentication."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import orjson
import pytest

from tests.service.test_cli import cli_environ, run_cli
from tests.support.database import create_test_account
from tests.support.nodes import basic_auth
from tests.v2.conftest import NodeFactory, V2Node, entries, submit

pytestmark = pytest.mark.timeout(180)


async def _run(database_url: str, *args: str) -> tuple[int, str, str]:
    return await run_cli(*args, environ=cli_environ(DATABASE_URL=database_url))


async def _json(database_url: str, *args: str) -> dict[str, Any]:
    status, stdout, stderr = await _run(database_url, *args, "--json")
    assert status == 0, stderr
    assert len(stdout.splitlines()) == 1
    result: dict[str, Any] = orjson.loads(stdout)
    return result


async def _balance_status(node: V2Node, headers: dict[str, str]) -> int:
    async with node.session.get(node.v2("/credits/balance"), headers=headers) as response:
        await response.read()
        return response.status


async def _bearer(node: V2Node, sid: str, token: str) -> dict[str, str]:
    async with node.session.post(
        node.v2("/auth/tokens"), json={"username": sid, "password": token}
    ) as response:
        assert response.status == 200, await response.text()
        return {"Authorization": f"Bearer {(await response.json())['accessToken']}"}


async def test_list_and_show_report_balance_free_credits_usage_and_users(
    start_v2_node: NodeFactory, database_url: str, pool: asyncpg.Pool[Any]
) -> None:
    owner = await create_test_account(pool, credits=100, free_daily=2, name="acme")
    node = await start_v2_node(account=owner)
    reader = await _json(
        database_url, "accounts", "user", "create", "--account", str(owner.account_id),
        "--name", "reader", "--rules", "email-verifications:read",
    )  # fmt: skip
    response = await submit(
        node, entries("a@exim.mailfarm.net", "b@exim.mailfarm.net", "c@exim.mailfarm.net")
    )
    assert response.status == 200

    listed = await _json(database_url, "accounts", "list")
    acme = next(account for account in listed["accounts"] if account["account_id"] == owner.account_id)
    assert acme["name"] == "acme"
    assert (acme["credits"], acme["free_daily_credits"]) == (99, 2)
    assert (acme["users"], acme["jobs_in_progress"]) == (2, 0)
    assert isinstance(acme["credits"], float)
    assert dt.datetime.fromisoformat(acme["created_on"]).tzinfo is not None

    shown = await _json(database_url, "accounts", "show", "--account", str(owner.account_id))
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert (shown["credits"], shown["free_daily_credits"], shown["free_credits"]) == (99, 2, 0)
    assert 0 < shown["free_credits_reset_in_seconds"] <= 86_400
    assert isinstance(shown["free_credits_reset_in_seconds"], int)
    assert shown["usage"] == [{"date": today, "credits": 1, "free_credits": 2}]
    assert [user["sid"] for user in shown["users"]] == [owner.sid, reader["sid"]]
    assert shown["users"][1] | {"created_on": None} == {
        "sid": reader["sid"],
        "name": "reader",
        "type": "Standard",
        "rules": ["email-verifications:read"],
        "active": True,
        "deleted": False,
        "created_on": None,
    }
    assert "token" not in orjson.dumps(shown).decode()

    listed_users = await _json(database_url, "accounts", "user", "list", "--account", str(owner.account_id))
    assert listed_users == {"account_id": owner.account_id, "users": shown["users"]}

    status, stdout, stderr = await _run(database_url, "accounts", "show", "--account", str(owner.account_id))
    assert status == 0, stderr
    lines = stdout.splitlines()
    assert "name: acme" in lines
    assert "free_credits: 0.000" in lines
    assert f"date: {today}  credits: 1.000  free_credits: 2.000" in lines
    assert "users: 2" in lines
    status, stdout, _stderr = await _run(
        database_url, "accounts", "user", "list", "--account", str(owner.account_id)
    )
    assert status == 0
    assert any(line.startswith(f"sid: {reader['sid']}  name: reader") for line in stdout.splitlines())
    status, stdout, _stderr = await _run(database_url, "accounts", "list")
    assert status == 0
    assert any("name: acme  credits: 99.000" in line for line in stdout.splitlines())


async def test_rotating_a_token_revokes_the_old_token_and_its_bearer_tokens(
    node: V2Node, database_url: str
) -> None:
    sid, old_token = node.account.sid, node.account.token
    old_bearer = await _bearer(node, sid, old_token)
    assert await _balance_status(node, old_bearer) == 200

    rotated = await _json(database_url, "accounts", "user", "rotate-token", "--sid", sid)
    assert set(rotated) == {"sid", "token"}
    assert rotated["sid"] == sid
    assert len(rotated["token"]) >= 40
    assert rotated["token"] != old_token

    assert await _balance_status(node, basic_auth(sid, old_token)) == 401
    assert await _balance_status(node, old_bearer) == 401
    assert await _balance_status(node, basic_auth(sid, rotated["token"])) == 200
    assert await _balance_status(node, await _bearer(node, sid, rotated["token"])) == 200

    status, stdout, stderr = await _run(database_url, "accounts", "user", "rotate-token", "--sid", sid)
    assert status == 0, stderr
    newest = dict(line.split(": ", 1) for line in stdout.splitlines())
    assert newest["sid"] == sid
    assert await _balance_status(node, basic_auth(sid, rotated["token"])) == 401
    assert await _balance_status(node, basic_auth(sid, newest["token"])) == 200


async def test_disable_then_enable_a_user(node: V2Node, database_url: str) -> None:
    sid, token = node.account.sid, node.account.token
    bearer = await _bearer(node, sid, token)

    disabled = await _json(database_url, "accounts", "user", "disable", "--sid", sid)
    assert disabled == {"sid": sid, "active": False}
    assert await _balance_status(node, basic_auth(sid, token)) == 401
    assert await _balance_status(node, bearer) == 401
    listed = await _json(database_url, "accounts", "user", "list", "--account", str(node.account.account_id))
    assert [user["active"] for user in listed["users"]] == [False]

    enabled = await _json(database_url, "accounts", "user", "enable", "--sid", sid)
    assert enabled == {"sid": sid, "active": True}
    assert await _balance_status(node, basic_auth(sid, token)) == 200
    # Deactivating revoked the bearer tokens issued before; activating does not bring them back.
    assert await _balance_status(node, bearer) == 401
    assert await _balance_status(node, await _bearer(node, sid, token)) == 200

    status, stdout, stderr = await _run(database_url, "accounts", "user", "enable", "--sid", sid)
    assert (status, stdout.splitlines()) == (0, [f"sid: {sid}", "active: True"]), stderr


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (("accounts", "show", "--account", "999999"), "no account 999999"),
        (("accounts", "user", "list", "--account", "999999"), "no account 999999"),
        (("accounts", "user", "rotate-token", "--sid", "nobody"), "no user nobody with a password"),
        (("accounts", "user", "enable", "--sid", "nobody"), "no user nobody"),
        (("accounts", "user", "disable", "--sid", "nobody"), "no user nobody"),
    ],
)
async def test_unknown_accounts_and_sids_are_errors(
    database_url: str, arguments: tuple[str, ...], error: str
) -> None:
    status, stdout, stderr = await _run(database_url, *arguments, "--json")
    assert (status, orjson.loads(stdout)) == (1, {"error": error})
    assert "Traceback" not in stderr
    status, stdout, stderr = await _run(database_url, *arguments)
    assert (status, stdout, stderr.strip()) == (1, "", f"error: {error}")


async def test_an_empty_database_lists_no_accounts(database_url: str) -> None:
    assert await _json(database_url, "accounts", "list") == {"accounts": []}
    status, stdout, _stderr = await _run(database_url, "accounts", "list")
    assert (status, stdout) == (0, "accounts: 0\n")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("accounts", "show", "--account", "0"), "'0' is not an id"),
        (("accounts", "show", "--account", "99999999999999999999"), "is not an id"),
        (("accounts", "user", "list", "--account", "-3"), "'-3' is not an id"),
        (("accounts", "show", "--account", "1", "--days", "0"), "'0' is not a whole number of days"),
        (("accounts", "show", "--account", "1", "--days", "99999999"), "from 1 to 36600"),
    ],
)
async def test_out_of_range_arguments_are_usage_errors(
    database_url: str, arguments: tuple[str, ...], message: str
) -> None:
    status, stdout, stderr = await _run(database_url, *arguments, "--json")
    assert (status, stdout) == (2, "")
    assert message in stderr
    assert "Traceback" not in stderr
