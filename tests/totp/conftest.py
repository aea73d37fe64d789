"""TOTP fixtures and helpers: nodes, a user with a confirmed second factor, codes, tokens and calls."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import jwt
import pyotp
import pytest

from tests.support.database import TestAccount, create_test_user
from tests.support.nodes import basic_auth
from tests.v2.conftest import PROBLEM_JSON, NodeFactory, V2Node, node, start_v2_node
from verifalia_server.service import totp
from verifalia_server.service.permissions import DEFAULT_RULES, UserType
from verifalia_server.store import totp as totp_store
from verifalia_server.store.users import get_user

__all__ = ["node", "start_v2_node"]

STEP = totp.STEP_SECONDS


@dataclass(frozen=True)
class TotpUser:
    """A Standard user of the node's account whose password logins need a TOTP code."""

    credentials: TestAccount
    secret: str

    def code(self, offset_steps: int = 0) -> str:
        """The code of the current time step moved by `offset_steps`."""
        return pyotp.TOTP(self.secret).at(time.time() + offset_steps * STEP)


def wrong_code(right: str) -> str:
    """A well-formed code other than `right` (and, but for a one-in-a-million chance, than its neighbours)."""
    return f"{(int(right) + 1) % 1_000_000:06d}"


async def away_from_step_edge(margin: float = 3.0) -> None:
    """Wait for the next time step when the current one ends within `margin` seconds, so that a code
    computed now is judged in the same step."""
    left = STEP - time.time() % STEP
    if left < margin:
        await asyncio.sleep(left + 0.1)


async def new_totp_user(node: V2Node) -> TotpUser:
    """Create a Standard user, enrol it and require its second factor (no code used up yet)."""
    credentials = await create_test_user(
        node.pool, node.account.account_id, DEFAULT_RULES[UserType.STANDARD], name="with-totp"
    )
    user = await get_user(node.pool, credentials.sid)
    assert user is not None
    enrolment = await totp.enable(node.pool, user)
    assert await totp_store.require_second_factor(node.pool, user.id, enrolment.secret)
    return TotpUser(credentials, enrolment.secret)


@pytest.fixture
async def totp_user(node: V2Node) -> TotpUser:
    """A user of the node's account with a confirmed TOTP second factor."""
    return await new_totp_user(node)


def claims(token: str) -> dict[str, Any]:
    """A JWT's payload, read without checking its signature (as the SDKs read it)."""
    payload: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return payload


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a bearer token."""
    return {"Authorization": f"Bearer {token}"}


async def call(
    node: V2Node,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: Any = None,
    version: str = "v2.6",
) -> tuple[int, Any, dict[str, str]]:
    """Send one v2 request and return its status, decoded JSON body (None when empty) and headers."""
    async with node.session.request(
        method, node.v2(path, version), json=body, headers=headers or {}
    ) as response:
        text = await response.text()
        payload = None if not text else await response.json(content_type=None)
        return response.status, payload, dict(response.headers)


async def first_token(node: V2Node, credentials: TestAccount) -> str:
    """The token `POST /auth/tokens` answers for the credentials."""
    status, body, _ = await call(
        node, "POST", "/auth/tokens", body={"username": credentials.sid, "password": credentials.token}
    )
    assert status == 200, body
    token: str = body["accessToken"]
    return token


async def verify_code(node: V2Node, token: str, code: str) -> tuple[int, Any, dict[str, str]]:
    """`POST /auth/totp/verifications` with a first-factor token and a code."""
    return await call(node, "POST", "/auth/totp/verifications", bearer(token), {"passCode": code})


def assert_code_refused(status: int, body: Any, headers: dict[str, str], detail: str) -> None:
    """Assert the answer to a wrong, expired or reused code: an RFC 9457 problem with 403 Forbidden (RFC 9110
    §15.5.4), which makes the SDKs ask their TOTP provider for another code, saying `detail`."""
    assert status == 403, body
    assert headers["Content-Type"].startswith(PROBLEM_JSON)
    assert body["status"] == 403
    assert body["title"] == "Forbidden"
    assert detail in body["detail"]


def basic(credentials: TestAccount) -> dict[str, str]:
    """The Basic Authorization header of the credentials."""
    return basic_auth(credentials.sid, credentials.token)


@dataclass(frozen=True)
class TwoNodes:
    """Two nodes sharing the database and the account."""

    first: V2Node
    second: V2Node


@pytest.fixture
async def two_nodes(start_v2_node: NodeFactory) -> TwoNodes:
    """Two in-process nodes on the same database, serving the same account."""
    first = await start_v2_node()
    return TwoNodes(first, await start_v2_node(account=first.account))
