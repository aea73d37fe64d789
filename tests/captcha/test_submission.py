"""v2 submissions carrying a CAPTCHA, on a real node verifying with the loopback siteverify server.

A refused CAPTCHA answers 401 with the problem type the SDKs look for, and a provider that gives no verdict
503 with `Retry-After`; in both cases no job or entry is stored and no credit is charged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
import orjson
import pytest

from tests.support.siteverify import Failure, SiteKind, Siteverify
from tests.v2.conftest import NodeFactory, V2Node, entries, problem, submit
from verifalia_server.store.credits import get_balance

CAPTCHA_FAILED = "/problems/captcha-validation-failed"
ADDRESS = "alice@postfix.mailfarm.net"


def with_captcha(provider: str, token: str) -> dict[str, Any]:
    """A one-entry job request carrying a CAPTCHA."""
    return {**entries(ADDRESS), "captcha": {"provider": provider, "token": token}}


async def stored(node: V2Node) -> tuple[int, int, Decimal, Decimal | None]:
    """The jobs and entries stored, and the account's credit packs and free credits left."""
    jobs = await node.pool.fetchval("SELECT count(*) FROM jobs")
    rows = await node.pool.fetchval("SELECT count(*) FROM entries")
    balance = await get_balance(node.pool, node.account.account_id)
    return jobs, rows, balance.credit_packs, balance.free_credits


async def assert_refused(node: V2Node, body: dict[str, Any], detail: str) -> None:
    """The submission is answered 401 captcha-validation-failed, and nothing is stored or charged."""
    before = await stored(node)
    response = await submit(node, body)
    problem_body = await problem(response, 401)
    assert problem_body["type"] == CAPTCHA_FAILED
    assert detail in problem_body["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Captcha")
    assert await stored(node) == before


@pytest.mark.parametrize(
    ("provider", "kind"),
    [
        ("Turnstile", "turnstile"),
        ("reCaptcha_v2", "recaptcha_v2"),
        ("reCaptcha_v3", "recaptcha_v3"),
        ("hCaptcha", "hcaptcha"),
    ],
)
async def test_a_good_token_is_accepted_and_verified_with_the_client_address(
    captcha_node: V2Node, siteverify: Siteverify, provider: str, kind: SiteKind
) -> None:
    response = await submit(captcha_node, with_captcha(provider, siteverify.issue(kind)))
    assert response.status == 200, await response.text()
    job = await response.json()
    assert job["overview"]["status"] == "Completed"
    assert [entry["status"] for entry in job["entries"]["data"]] == ["Success"]
    assert await captcha_node.pool.fetchval("SELECT count(*) FROM jobs") == 1
    assert [request["remoteip"] for request in siteverify.requests] == ["127.0.0.1"]


async def test_a_refused_token_is_401_and_stores_nothing(
    captcha_node: V2Node, siteverify: Siteverify
) -> None:
    await assert_refused(captcha_node, with_captcha("Turnstile", "forged"), "invalid-input-response")
    token = siteverify.issue("hcaptcha")
    assert (await submit(captcha_node, with_captcha("hCaptcha", token))).status == 200
    await assert_refused(captcha_node, with_captcha("hCaptcha", token), "already-seen-response")
    await assert_refused(captcha_node, with_captcha("reCaptcha_v2", ""), "missing-input-response")


async def test_a_token_of_another_provider_is_401(captcha_node: V2Node, siteverify: Siteverify) -> None:
    await assert_refused(
        captcha_node, with_captcha("reCaptcha_v3", siteverify.issue("recaptcha_v2")), "invalid-input-response"
    )


async def test_a_wrong_secret_is_401(start_v2_node: NodeFactory, siteverify: Siteverify) -> None:
    node = await start_v2_node({**siteverify.environ(), "VERIFALIA_CAPTCHA_TURNSTILE_SECRET": "stale-secret"})
    await assert_refused(
        node, with_captcha("Turnstile", siteverify.issue("turnstile")), "invalid-input-secret"
    )
    assert siteverify.requests[-1]["secret"] == "stale-secret"


async def test_a_low_recaptcha_v3_score_is_401(start_v2_node: NodeFactory, siteverify: Siteverify) -> None:
    node = await start_v2_node({**siteverify.environ(), "VERIFALIA_CAPTCHA_RECAPTCHA_V3_MIN_SCORE": "0.8"})
    await assert_refused(
        node, with_captcha("reCaptcha_v3", siteverify.issue("recaptcha_v3", score=0.6)), "score 0.6 is below"
    )
    accepted = await submit(node, with_captcha("reCaptcha_v3", siteverify.issue("recaptcha_v3", score=0.8)))
    assert accepted.status == 200


async def test_an_unknown_or_unconfigured_provider_is_401_without_asking_anyone(
    start_v2_node: NodeFactory, siteverify: Siteverify
) -> None:
    environ = {**siteverify.environ(), "VERIFALIA_CAPTCHA_HCAPTCHA_SECRET": ""}
    node = await start_v2_node(environ)
    await assert_refused(
        node, with_captcha("FriendlyCaptcha", "token"), "Unknown CAPTCHA provider 'FriendlyCaptcha'"
    )
    await assert_refused(node, with_captcha("hCaptcha", siteverify.issue("hcaptcha")), "not accepted")
    assert siteverify.requests == []


async def test_provider_names_are_matched_ignoring_case(captcha_node: V2Node, siteverify: Siteverify) -> None:
    response = await submit(captcha_node, with_captcha("RECAPTCHA_V2", siteverify.issue("recaptcha_v2")))
    assert response.status == 200


# None: the server is down.
@pytest.mark.parametrize("failure", [None, "error", "stall", "html"], ids=["down", "error", "stall", "html"])
async def test_a_provider_that_gives_no_verdict_is_503_with_retry_after(
    captcha_node: V2Node, siteverify: Siteverify, failure: Failure | None
) -> None:
    token = siteverify.issue("turnstile")
    siteverify.failure = failure
    if failure is None:
        await siteverify.stop()
    before = await stored(captcha_node)
    response = await submit(captcha_node, with_captcha("Turnstile", token))
    body = await problem(response, 503)
    assert body["type"] != CAPTCHA_FAILED
    assert response.headers["Retry-After"] == "5"
    assert await stored(captcha_node) == before


async def test_an_invalid_request_is_400_before_the_token_is_spent(
    captcha_node: V2Node, siteverify: Siteverify
) -> None:
    token = siteverify.issue("turnstile")
    bad = {**with_captcha("Turnstile", token), "quality": "Supreme"}
    await problem(await submit(captcha_node, bad), 400)
    unstorable = {**with_captcha("Turnstile", token), "entries": [{"inputData": "a\u0000@b.example"}]}
    await problem(await submit(captcha_node, unstorable), 400)
    assert siteverify.requests == []
    assert (await submit(captcha_node, with_captcha("Turnstile", token))).status == 200


@pytest.mark.parametrize(
    ("captcha", "field"),
    [
        ({"provider": "Turnstile"}, "captcha.token"),
        ({"provider": 3, "token": "x"}, "captcha.provider"),
        ({"provider": "Turnstile", "token": "x" * 8193}, "captcha.token"),
        ("token", "captcha"),
    ],
)
async def test_a_malformed_captcha_is_400_naming_the_field(
    captcha_node: V2Node, captcha: object, field: str
) -> None:
    body = await problem(await submit(captcha_node, {**entries(ADDRESS), "captcha": captcha}), 400)
    assert f"'{field}'" in body["detail"]


async def test_without_a_captcha_nothing_is_asked(captcha_node: V2Node, siteverify: Siteverify) -> None:
    assert (await submit(captcha_node, entries(ADDRESS))).status == 200
    assert (await submit(captcha_node, {**entries(ADDRESS), "captcha": None})).status == 200
    assert siteverify.requests == []


async def _upload(node: V2Node, settings: dict[str, Any]) -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field("inputFile", f"{ADDRESS}\n".encode(), filename="file", content_type="text/plain")
    form.add_field("settings", orjson.dumps(settings).decode())
    async with node.session.post(
        node.v2("/email-validations?waitTime=10000"), data=form, headers=node.auth
    ) as response:
        await response.read()
        return response


async def test_a_file_submission_carries_its_captcha_in_the_settings(
    captcha_node: V2Node, siteverify: Siteverify
) -> None:
    token = siteverify.issue("recaptcha_v3", score=0.9)
    accepted = await _upload(captcha_node, {"captcha": {"provider": "reCaptcha_v3", "token": token}})
    assert accepted.status == 200, await accepted.text()
    before = await stored(captcha_node)
    refused = await _upload(captcha_node, {"captcha": {"provider": "reCaptcha_v3", "token": token}})
    assert (await problem(refused, 401))["type"] == CAPTCHA_FAILED
    assert await stored(captcha_node) == before
