"""A browser app's throttling holds across two `verifalia-server serve` processes sharing the database."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.browser_apps.conftest import create_browser_app, key_auth
from tests.mailfarm.farm import MailFarm
from tests.support.cluster import run_cluster
from tests.support.database import create_test_account
from verifalia_server.store.users import ThrottlingRule

pytestmark = pytest.mark.timeout(120)

LIMIT = 3
ATTEMPTS = 10


async def test_concurrent_submissions_on_two_nodes_never_exceed_the_limit(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm
) -> None:
    account = await create_test_account(pool)
    key = await create_browser_app(
        pool, account.account_id, throttling=(ThrottlingRule(LIMIT, "minute", "global"),)
    )
    body = {"entries": [{"inputData": "alice@postfix.mailfarm.net"}]}
    environ = {**mail_farm.engine_environ(), "VERIFALIA_POOL_MIN_SIZE": "1"}
    async with run_cluster(database_url, environ, count=2) as cluster, aiohttp.ClientSession() as session:

        async def attempt(url: str) -> int:
            async with session.post(
                f"{url}/v2.7/email-validations", json=body, headers=key_auth(key)
            ) as answer:
                await answer.read()
                return answer.status

        nodes = itertools.islice(itertools.cycle(cluster.urls), ATTEMPTS)
        statuses = await asyncio.gather(*(attempt(url) for url in nodes))
    assert sorted(statuses) == [202] * LIMIT + [429] * (ATTEMPTS - LIMIT)
    assert await pool.fetchval("SELECT count(*) FROM jobs WHERE owner = $1", key) == LIMIT
