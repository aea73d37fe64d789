"""The official `verifalia` npm SDK (tests/sdk) logging in with `BearerAuthenticator` and a TOTP provider
that computes RFC 6238 codes with node's `crypto`: a refused code (403) makes it ask for another, up to
three codes in all; a refused password (401) ends the login at once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.database import TestAccount
from tests.support.node_scripts import run_node_script
from tests.totp.conftest import (
    STEP,
    TotpUser,
    assert_code_refused,
    away_from_step_edge,
    claims,
    first_token,
    new_totp_user,
    verify_code,
    wrong_code,
)
from tests.v2.conftest import NodeFactory, V2Node

SCRIPT = Path(__file__).resolve().parent / "sdk_totp.js"
# How many codes the JS SDK's BearerAuthenticator asks its TOTP provider for before it gives up.
SDK_TOTP_ATTEMPTS = 3

pytestmark = pytest.mark.timeout(180)


async def run_sdk(base_uris: list[str], user: TotpUser, mode: str) -> dict[str, Any]:
    """Log in with the SDK, read the balance and return the outcome the script prints."""
    environ = {
        "VERIFALIA_BASE_URIS": ",".join(base_uris),
        "VERIFALIA_USERNAME": user.credentials.sid,
        "VERIFALIA_PASSWORD": user.credentials.token,
        "VERIFALIA_TOTP_SECRET": user.secret,
    }
    outcome: dict[str, Any] = await run_node_script(SCRIPT, mode, environ=environ)
    return outcome


async def verification_counts(node: V2Node) -> dict[str, float]:
    """The `POST /auth/totp/verifications` the node answered, counted by status, from its `/metrics`."""
    async with node.session.get(f"{node.url}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {
        sample.labels["status"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "verifalia_http_requests"
        for sample in family.samples
        if sample.name == "verifalia_http_requests_total"
        and sample.labels["method"] == "POST"
        and sample.labels["route"].endswith("/auth/totp/verifications")
    }


async def test_the_sdk_logs_in_with_a_code_and_reads_the_balance(start_v2_node: NodeFactory) -> None:
    first = await start_v2_node()
    second = await start_v2_node(account=first.account)
    user = await new_totp_user(first)
    await away_from_step_edge(margin=5)
    outcome = await run_sdk([first.url, second.url], user, "right")
    assert outcome["outcome"] == "balance", outcome
    assert outcome["provided"] == [user.code()]
    assert set(outcome["balance"]) >= {"creditPacks", "freeCredits"}
    # The code the SDK used is spent, on both nodes.
    token = await first_token(second, user.credentials)
    assert claims(token)["verifalia:mfa"] == ["totp"]
    assert_code_refused(*await verify_code(second, token, outcome["provided"][0]), "already used")


async def test_after_a_wrong_code_the_sdk_asks_for_another_and_logs_in(node: V2Node) -> None:
    user = await new_totp_user(node)
    await away_from_step_edge(margin=5)
    right, step = user.code(), int(time.time()) // STEP
    outcome = await run_sdk([node.url], user, "wrong-then-right")
    assert outcome["outcome"] == "balance", outcome
    assert set(outcome["balance"]) >= {"creditPacks", "freeCredits"}
    assert outcome["provided"] == [wrong_code(right), right]
    # The node refused the first code with 403 and accepted the second; the accepted one cleared the
    # attempts counted and spent its time step.
    assert await verification_counts(node) == {"403": 1, "200": 1}
    state = await node.pool.fetchrow(
        "SELECT attempts, last_step FROM totp_state WHERE user_id = $1", user.credentials.sid
    )
    assert state is not None
    assert (state["attempts"], state["last_step"]) == (0, step)


async def test_the_sdk_gives_up_after_three_wrong_codes(node: V2Node) -> None:
    user = await new_totp_user(node)
    await away_from_step_edge(margin=5)
    wrong = wrong_code(user.code())
    outcome = await run_sdk([node.url], user, "wrong")
    assert outcome["outcome"] == "thrown", outcome
    assert outcome["message"] == (
        f"Invalid TOTP token provided after {SDK_TOTP_ATTEMPTS} attempt(s): aborting the authentication."
    )
    assert (outcome["authenticationError"], outcome["authorizationError"]) == (False, False)
    assert outcome["provided"] == [wrong] * SDK_TOTP_ATTEMPTS
    # Each code reached the node, was refused with 403 and counted against the user's guessing limit.
    assert await verification_counts(node) == {"403": SDK_TOTP_ATTEMPTS}
    attempts = await node.pool.fetchval(
        "SELECT attempts FROM totp_state WHERE user_id = $1", user.credentials.sid
    )
    assert attempts == SDK_TOTP_ATTEMPTS
    # The SDK gives up before the limit (5 codes): the right code still logs in.
    status, body, _ = await verify_code(node, await first_token(node, user.credentials), user.code())
    assert status == 200, body


async def test_a_wrong_password_is_the_sdks_authentication_error_without_a_code(node: V2Node) -> None:
    user = await new_totp_user(node)
    outcome = await run_sdk(
        [node.url], TotpUser(TestAccount(0, user.credentials.sid, "x"), user.secret), "right"
    )
    assert outcome["outcome"] == "thrown", outcome
    assert outcome["authenticationError"] is True
    assert outcome["status"] == 401
    assert outcome["provided"] == []
    assert await verification_counts(node) == {}
