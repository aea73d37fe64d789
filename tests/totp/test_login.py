"""Logging in with a TOTP second factor over HTTP: `POST /auth/tokens`, then the code verification."""

from __future__ import annotations

import pytest

from tests.support.database import TestAccount
from tests.totp.conftest import (
    TotpUser,
    TwoNodes,
    assert_code_refused,
    away_from_step_edge,
    basic,
    bearer,
    call,
    claims,
    first_token,
    new_totp_user,
    verify_code,
    wrong_code,
)
from tests.v2.conftest import PROBLEM_JSON, V2Node
from verifalia_server.service import totp

pytestmark = pytest.mark.timeout(180)


async def test_the_first_token_asks_for_a_code_and_opens_nothing_else(
    node: V2Node, totp_user: TotpUser
) -> None:
    token = await first_token(node, totp_user.credentials)
    payload = claims(token)
    assert payload["verifalia:mfa"] == ["totp"]
    assert payload["sub"] == totp_user.credentials.sid
    assert payload["exp"] - payload["iat"] <= totp.FIRST_FACTOR_TTL_SECONDS
    for path in ("/credits/balance", "/email-validations"):
        status, body, headers = await call(node, "GET", path, bearer(token))
        assert status == 401
        assert headers["Content-Type"].startswith(PROBLEM_JSON)
        assert "/auth/totp/verifications" in body["detail"]


async def test_a_user_without_second_factor_gets_a_token_without_the_claim(node: V2Node) -> None:
    token = await first_token(node, node.account)
    assert "verifalia:mfa" not in claims(token)
    status, _, _ = await call(node, "GET", "/credits/balance", bearer(token))
    assert status == 200


async def test_a_right_code_gives_a_token_good_everywhere(node: V2Node, totp_user: TotpUser) -> None:
    token = await first_token(node, totp_user.credentials)
    await away_from_step_edge()
    status, body, headers = await verify_code(node, token, totp_user.code())
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/json")
    final = body["accessToken"]
    assert "verifalia:mfa" not in claims(final)
    assert claims(final)["sub"] == totp_user.credentials.sid
    status, balance, _ = await call(node, "GET", "/credits/balance", bearer(final))
    assert status == 200
    assert "freeCredits" in balance
    # The final token cannot stand in for a first-factor token.
    status, _, _ = await verify_code(node, final, totp_user.code())
    assert status == 401


@pytest.mark.parametrize("version", ["v2.5", "v2.6", "v2.7"])
async def test_the_verification_route_exists_for_every_sdk_version(
    node: V2Node, totp_user: TotpUser, version: str
) -> None:
    token = await first_token(node, totp_user.credentials)
    # A malformed code is checked, and refused, like a wrong one.
    assert_code_refused(
        *await call(
            node, "POST", "/auth/totp/verifications", bearer(token), {"passCode": "000000x"}, version
        ),
        "wrong or expired",
    )


async def test_a_wrong_code_is_403_and_a_malformed_body_400(node: V2Node, totp_user: TotpUser) -> None:
    token = await first_token(node, totp_user.credentials)
    await away_from_step_edge()
    right = totp_user.code()
    assert_code_refused(*await verify_code(node, token, wrong_code(right)), "wrong or expired")
    status, body, _ = await call(node, "POST", "/auth/totp/verifications", bearer(token), {"code": right})
    assert status == 400
    assert "passCode" in body["detail"]
    status, _, _ = await call(node, "POST", "/auth/totp/verifications", bearer(token), {"passCode": 123456})
    assert status == 400
    # Without a bearer token, or with Basic credentials, there is nothing to complete: 401, not a retry.
    status, _, headers = await call(node, "POST", "/auth/totp/verifications", None, {"passCode": right})
    assert status == 401
    assert headers["Content-Type"].startswith(PROBLEM_JSON)
    status, _, _ = await call(
        node, "POST", "/auth/totp/verifications", basic(totp_user.credentials), {"passCode": right}
    )
    assert status == 401
    # The wrong code did not spend the token: the right code still completes the login.
    status, body, _ = await verify_code(node, token, right)
    assert status == 200, body


async def test_the_body_is_json_whatever_its_content_type(node: V2Node, totp_user: TotpUser) -> None:
    token = await first_token(node, totp_user.credentials)
    await away_from_step_edge()
    # What the JS SDK sends: a JSON text as text/plain, accepting anything.
    async with node.session.post(
        node.v2("/auth/totp/verifications"),
        data=f'{{"passCode":"{totp_user.code()}"}}',
        headers={**bearer(token), "Content-Type": "text/plain;charset=UTF-8", "Accept": "*/*"},
    ) as response:
        assert response.status == 200, await response.text()
        assert "accessToken" in await response.json()


async def test_a_code_is_accepted_once_even_across_nodes(two_nodes: TwoNodes) -> None:
    user = await new_totp_user(two_nodes.first)
    await away_from_step_edge()
    code = user.code()
    first = await first_token(two_nodes.first, user.credentials)
    status, _, _ = await verify_code(two_nodes.first, first, code)
    assert status == 200
    second = await first_token(two_nodes.second, user.credentials)
    assert_code_refused(*await verify_code(two_nodes.second, second, code), "already used")
    assert_code_refused(*await verify_code(two_nodes.first, first, code), "already used")


async def test_one_step_of_drift_either_way_is_accepted(node: V2Node, totp_user: TotpUser) -> None:
    await away_from_step_edge()
    token = await first_token(node, totp_user.credentials)
    # Two steps away is refused; one step behind is accepted.
    for offset in (-2, 2):
        assert_code_refused(*await verify_code(node, token, totp_user.code(offset)), "wrong or expired")
    status, _, _ = await verify_code(node, token, totp_user.code(-1))
    assert status == 200
    # One step ahead is accepted too; after it, the current step's code is a step already passed.
    status, _, _ = await verify_code(node, token, totp_user.code(1))
    assert status == 200
    assert_code_refused(*await verify_code(node, token, totp_user.code()), "already used")


async def test_guessing_is_cut_off_per_user_then_allowed_again(node: V2Node, totp_user: TotpUser) -> None:
    await away_from_step_edge(margin=8)
    right = totp_user.code()
    wrong = wrong_code(right)
    # Four wrong codes, then the right one: the right one clears the count.
    for _ in range(totp.MAX_ATTEMPTS - 1):
        assert_code_refused(
            *await verify_code(node, await first_token(node, totp_user.credentials), wrong),
            "wrong or expired",
        )
    status, _, _ = await verify_code(node, await first_token(node, totp_user.credentials), right)
    assert status == 200
    # Five wrong codes, each with a new first-factor token: the limit is the user's, not the token's.
    for _ in range(totp.MAX_ATTEMPTS):
        assert_code_refused(
            *await verify_code(node, await first_token(node, totp_user.credentials), wrong),
            "wrong or expired",
        )
    # Even a right code is not checked now.
    token = await first_token(node, totp_user.credentials)
    status, body, headers = await verify_code(node, token, totp_user.code(1))
    assert status == 429
    assert 1 <= int(headers["Retry-After"]) <= totp.ATTEMPT_WINDOW_SECONDS
    assert "Too many" in body["detail"]
    # Once the window is over, codes are checked again.
    await node.pool.execute(
        "UPDATE totp_state SET window_started_on = now() - make_interval(secs => $2) WHERE user_id = $1",
        totp_user.credentials.sid,
        float(totp.ATTEMPT_WINDOW_SECONDS + 1),
    )
    status, body, _ = await verify_code(node, token, totp_user.code(1))
    assert status == 200, body


async def test_basic_with_the_password_is_refused_for_the_user(node: V2Node, totp_user: TotpUser) -> None:
    status, body, _ = await call(node, "GET", "/credits/balance", basic(totp_user.credentials))
    assert status == 401
    assert "two-factor" in body["detail"]
    assert "/auth/totp/verifications" in body["detail"]
    async with node.session.get(
        f"{node.url}/v1.4/account-balance", headers=basic(totp_user.credentials)
    ) as v1:
        assert v1.status == 401
    # A wrong password still reads as a wrong password: it tells nothing of the second factor.
    status, body, _ = await call(
        node, "GET", "/credits/balance", basic(TestAccount(0, totp_user.credentials.sid, "x"))
    )
    assert status == 401
    assert "two-factor" not in body["detail"]


async def test_a_first_token_expires_with_the_users_credentials(node: V2Node, totp_user: TotpUser) -> None:
    token = await first_token(node, totp_user.credentials)
    status, _, _ = await call(
        node,
        "DELETE",
        f"/users/{totp_user.credentials.sid}/totp",
        bearer(await first_token(node, node.account)),
    )
    assert status == 204
    await away_from_step_edge()
    status, body, _ = await verify_code(node, token, totp_user.code())
    assert status == 401
    assert "revoked" in body["detail"]
    # Without a second factor the same password gives a token good everywhere, and Basic works again.
    plain = await first_token(node, totp_user.credentials)
    assert "verifalia:mfa" not in claims(plain)
    status, _, _ = await call(node, "GET", "/credits/balance", basic(totp_user.credentials))
    assert status == 200
