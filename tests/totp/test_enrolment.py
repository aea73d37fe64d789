"""Enrolling a TOTP second factor: by a user itself over the API, by an administrator, and with the CLI."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import orjson
import pyotp
import pytest

from tests.service.test_cli import cli_environ, run_cli
from tests.support.database import TestAccount, create_test_account, create_test_user
from tests.totp.conftest import (
    STEP,
    assert_code_refused,
    away_from_step_edge,
    basic,
    bearer,
    call,
    claims,
    first_token,
    verify_code,
    wrong_code,
)
from tests.v2.conftest import V2Node
from verifalia_server.service import totp
from verifalia_server.service.permissions import DEFAULT_RULES, UserType

pytestmark = pytest.mark.timeout(180)


async def _standard_user(node: V2Node, name: str = "user") -> TestAccount:
    return await create_test_user(
        node.pool, node.account.account_id, DEFAULT_RULES[UserType.STANDARD], name=name
    )


async def _enable(node: V2Node, user_id: str, headers: dict[str, str]) -> tuple[int, Any]:
    status, body, _ = await call(node, "POST", f"/users/{user_id}/totp", headers, version="v2.7")
    return status, body


async def _confirm(
    node: V2Node, user_id: str, headers: dict[str, str], code: str
) -> tuple[int, Any, dict[str, str]]:
    return await call(
        node, "POST", f"/users/{user_id}/totp/confirmation", headers, {"passCode": code}, "v2.7"
    )


async def test_a_user_enrols_itself_then_logs_in_with_a_code(node: V2Node) -> None:
    user = await _standard_user(node)
    session = bearer(await first_token(node, user))
    status, enrolment = await _enable(node, user.sid, session)
    assert status == 200, enrolment
    secret = enrolment["secret"]
    assert len(secret) == 32
    assert set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    uri = urllib.parse.urlsplit(enrolment["provisioningUri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert urllib.parse.unquote(uri.path) == f"/{totp.ISSUER}:{user.sid}"
    assert urllib.parse.parse_qs(uri.query) == {"secret": [secret], "issuer": [totp.ISSUER]}
    assert pyotp.parse_uri(enrolment["provisioningUri"]).secret == secret

    # Pending: nothing is required yet, and the session goes on.
    assert "verifalia:mfa" not in claims(await first_token(node, user))
    status, _, _ = await call(node, "GET", "/credits/balance", basic(user))
    assert status == 200

    await away_from_step_edge()
    code = pyotp.TOTP(secret).now()
    assert_code_refused(*await _confirm(node, user.sid, session, wrong_code(code)), "wrong or expired")
    status, body, _ = await _confirm(node, user.sid, session, code)
    assert status == 204, body

    # Confirmed: the tokens issued on the password alone are revoked, Basic is refused, a login needs a code.
    status, _, _ = await call(node, "GET", "/credits/balance", session)
    assert status == 401
    status, _, _ = await call(node, "GET", "/credits/balance", basic(user))
    assert status == 401
    token = await first_token(node, user)
    assert claims(token)["verifalia:mfa"] == ["totp"]
    # The confirming code is spent: the login needs another one.
    assert_code_refused(*await verify_code(node, token, code), "already used")
    status, body, _ = await verify_code(node, token, pyotp.TOTP(secret).at(time.time() + STEP))
    assert status == 200, body
    final = bearer(body["accessToken"])
    status, _, _ = await call(node, "GET", "/credits/balance", final)
    assert status == 200

    # Enabling again would replace a secret in use: refused until disabled.
    status, body = await _enable(node, user.sid, final)
    assert status == 409
    status, _, _ = await call(node, "DELETE", f"/users/{user.sid}/totp", final, version="v2.7")
    assert status == 204
    assert "verifalia:mfa" not in claims(await first_token(node, user))
    status, _, _ = await call(node, "GET", "/credits/balance", final)
    assert status == 401


async def test_who_may_manage_whose_second_factor(node: V2Node) -> None:
    user = await _standard_user(node, "owner")
    other = await _standard_user(node, "colleague")
    status, body = await _enable(node, user.sid, basic(other))
    assert status == 403
    assert "users:write" in body["detail"]
    stranger = await create_test_account(node.pool)
    status, _ = await _enable(node, user.sid, basic(stranger))
    assert status == 404
    status, _ = await _enable(node, "no-such-user", basic(node.account))
    assert status == 404
    status, _, _ = await call(node, "DELETE", f"/users/{user.sid}/totp", version="v2.7")
    assert status == 401
    # The account's administrator may manage every user's (for instance after a lost device).
    status, enrolment = await _enable(node, user.sid, basic(node.account))
    assert status == 200
    await away_from_step_edge()
    status, _, _ = await _confirm(node, user.sid, basic(node.account), pyotp.TOTP(enrolment["secret"]).now())
    assert status == 204
    status, _, _ = await call(node, "DELETE", f"/users/{user.sid}/totp", basic(other), version="v2.7")
    assert status == 403
    status, _, _ = await call(node, "DELETE", f"/users/{user.sid}/totp", basic(node.account), version="v2.7")
    assert status == 204
    status, _, _ = await call(node, "GET", "/credits/balance", basic(user))
    assert status == 200


async def test_confirming_without_a_pending_secret_is_refused(node: V2Node) -> None:
    user = await _standard_user(node)
    status, body, _ = await _confirm(node, user.sid, basic(user), "123456")
    assert status == 401
    assert "enable TOTP first" in body["detail"]


async def _cli(database_url: str, *args: str) -> tuple[int, dict[str, Any]]:
    status, stdout, stderr = await run_cli(
        "accounts", "user", "totp", *args, "--json", environ=cli_environ(DATABASE_URL=database_url)
    )
    assert len(stdout.splitlines()) == 1, stderr
    result: dict[str, Any] = orjson.loads(stdout)
    return status, result


async def test_the_cli_enables_confirms_and_disables(node: V2Node, database_url: str) -> None:
    user = await _standard_user(node)
    status, enrolment = await _cli(database_url, "enable", "--user", user.sid)
    assert status == 0
    assert enrolment["sid"] == user.sid
    assert enrolment["mfa_required"] is False
    assert pyotp.parse_uri(enrolment["provisioning_uri"]).secret == enrolment["secret"]
    status, refused = await _cli(database_url, "confirm", "--user", user.sid, "--code", "12345")
    assert status == 1
    assert "wrong" in refused["error"]
    await away_from_step_edge()
    code = pyotp.TOTP(enrolment["secret"]).now()
    status, confirmed = await _cli(database_url, "confirm", "--user", user.sid, "--code", code)
    assert (status, confirmed) == (0, {"sid": user.sid, "mfa_required": True})
    assert claims(await first_token(node, user))["verifalia:mfa"] == ["totp"]
    status, again = await _cli(database_url, "enable", "--user", user.sid)
    assert status == 1
    assert "disable it first" in again["error"]
    status, disabled = await _cli(database_url, "disable", "--user", user.sid)
    assert (status, disabled) == (0, {"sid": user.sid, "mfa_required": False})
    assert "verifalia:mfa" not in claims(await first_token(node, user))
    status, unknown = await _cli(database_url, "disable", "--user", "nobody")
    assert status == 1
    assert "nobody" in unknown["error"]


async def test_a_browser_app_cannot_enrol(node: V2Node, database_url: str) -> None:
    app = await create_test_user(
        node.pool, node.account.account_id, DEFAULT_RULES[UserType.BROWSER_APP], UserType.BROWSER_APP
    )
    status, refused = await _cli(database_url, "enable", "--user", app.sid)
    assert status == 1
    assert "browser app" in refused["error"]
    status, _ = await _enable(node, app.sid, basic(node.account))
    assert status == 409
