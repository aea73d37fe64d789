"""Bearer tokens: issued by POST /auth/tokens, accepted as `Authorization: Bearer`, refused when stale."""

from __future__ import annotations

import asyncio
import base64
import time

import jwt
import orjson
import pytest

from tests.v2.conftest import NodeFactory, V2Node, problem
from verifalia_server.api.shared import tokens
from verifalia_server.store.users import set_user_active


async def _token(node: V2Node, username: str, password: str, content_type: str = "application/json") -> str:
    body = orjson.dumps({"username": username, "password": password})
    async with node.session.post(
        node.v2("/auth/tokens"), data=body, headers={"Content-Type": content_type}
    ) as response:
        assert response.status == 200, await response.text()
        assert response.content_type == "application/json"
        token: str = (await response.json())["accessToken"]
        return token


async def _balance_status(node: V2Node, token: str) -> int:
    async with node.session.get(
        node.v2("/credits/balance"), headers={"Authorization": f"Bearer {token}"}
    ) as response:
        if response.status != 200:
            await problem(response, response.status)
        return response.status


async def test_issued_token_is_a_jwt_that_authenticates(node: V2Node) -> None:
    token = await _token(node, node.account.sid, node.account.token, content_type="text/plain;charset=UTF-8")
    _header, payload, signature = token.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == node.account.sid
    assert "verifalia:mfa" not in claims
    assert signature
    assert await _balance_status(node, token) == 200


async def test_bad_credentials_bad_body_and_forged_tokens_are_refused(node: V2Node) -> None:
    async with node.session.post(
        node.v2("/auth/tokens"), json={"username": node.account.sid, "password": "wrong"}
    ) as response:
        await problem(response, 401)
    async with node.session.post(node.v2("/auth/tokens"), data=b"username=x") as response:
        await problem(response, 400)
    forged = tokens.issue(node.account.sid, SECRET, 3600)
    assert await _balance_status(node, forged) == 401
    assert await _balance_status(node, "garbage") == 401


async def test_tokens_expire(start_v2_node: NodeFactory) -> None:
    node = await start_v2_node({"VERIFALIA_TOKEN_TTL_SECONDS": "1"})
    token = await _token(node, node.account.sid, node.account.token)
    assert await _balance_status(node, token) == 200
    await asyncio.sleep(2.1)
    assert await _balance_status(node, token) == 401


async def test_tokens_of_an_inactive_user_are_refused(node: V2Node) -> None:
    token = await _token(node, node.account.sid, node.account.token)
    await set_user_active(node.pool, node.account.sid, False)
    assert await _balance_status(node, token) == 401
    async with node.session.post(
        node.v2("/auth/tokens"), json={"username": node.account.sid, "password": node.account.token}
    ) as response:
        await problem(response, 401)


SECRET = "a-server-side-secret-of-at-least-32-bytes"


def test_subject_of_rejects_tampered_and_expired_tokens() -> None:
    token = tokens.issue("sid-1", SECRET, 60, generation=3)
    assert tokens.subject_of(token, SECRET) == tokens.Subject("sid-1", 3)
    assert tokens.subject_of(token, SECRET.upper()) is None
    header, payload, signature = token.split(".")
    assert tokens.subject_of(f"{header}.{payload}x.{signature}", SECRET) is None
    now = int(time.time())
    expired = jwt.encode(
        {"iss": "verifalia-server", "sub": "sid-1", "iat": now - 120, "exp": now - 60},
        SECRET,
        algorithm="HS256",
    )
    assert tokens.subject_of(expired, SECRET) is None


@pytest.mark.parametrize("ttl", [1, 3600, tokens.DEFAULT_TTL_SECONDS])
def test_issued_expiry_matches_ttl(ttl: int) -> None:
    token = tokens.issue("sid", SECRET, ttl)
    claims = orjson.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["exp"] - claims["iat"] == ttl


def test_a_token_without_a_generation_is_of_the_first_generation() -> None:
    now = int(time.time())
    claims = {"iss": "verifalia-server", "sub": "sid-1", "iat": now, "exp": now + 60}
    assert tokens.subject_of(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET) == tokens.Subject(
        "sid-1", 0
    )
    for generation in ("1", 1.0, True, None):
        odd = jwt.encode({**claims, "gen": generation}, SECRET, algorithm="HS256")
        assert tokens.subject_of(odd, SECRET) is None
