"""Browser-app fixtures: v2 nodes, the loopback siteverify server, and browser apps of the node's account."""

from __future__ import annotations

import dataclasses
from typing import Any

import aiohttp
import asyncpg

from tests.captcha.conftest import siteverify
from tests.v2.conftest import V2Node, node, start_v2_node
from verifalia_server.service.permissions import DEFAULT_RULES, UserType
from verifalia_server.store import users
from verifalia_server.store.users import Profile

__all__ = ["node", "siteverify", "start_v2_node"]


async def create_browser_app(pool: asyncpg.Pool[Any], account_id: int, **settings: Any) -> str:
    """Create a browser app of the account with these `Profile` settings and return its key."""
    profile = dataclasses.replace(
        Profile("widget", rules=DEFAULT_RULES[UserType.BROWSER_APP], password_enabled=False), **settings
    )
    app = await users.create_user(pool, account_id, UserType.BROWSER_APP, profile, None)
    return app.id


def key_auth(key: str, origin: str | None = None) -> dict[str, str]:
    """The headers of a browser's request with an app key: Basic `key:` and, when given, its Origin."""
    headers = {"Authorization": aiohttp.encode_basic_auth(key, "")}
    if origin is not None:
        headers["Origin"] = origin
    return headers


async def post_job(
    node: V2Node, headers: dict[str, str], body: Any, path: str = "/email-validations?waitTime=10000"
) -> aiohttp.ClientResponse:
    """POST a v2.7 job request with these headers and return the (read) response."""
    async with node.session.post(node.v2(path, "v2.7"), json=body, headers=headers) as response:
        await response.read()
        return response


async def stored_jobs(node: V2Node) -> tuple[int, int]:
    """The jobs and entries stored."""
    jobs = await node.pool.fetchval("SELECT count(*) FROM jobs")
    entries = await node.pool.fetchval("SELECT count(*) FROM entries")
    return jobs, entries
