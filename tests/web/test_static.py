"""How a node serves the web client's files: the page, its sources, the npm libraries, and nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest
from yarl import URL

from tests.mailfarm.farm import MailFarm
from tests.support.database import TestAccount
from tests.support.nodes import basic_auth, in_process_nodes
from verifalia_server.settings import ServiceSettings
from verifalia_server.web.assets import NODE_MODULES, STATIC_DIR, VENDOR_FILES

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
async def node_url(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm
) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    """A node with no scheduler (jobs stay in progress) admitting one API request per client at a time."""
    settings = ServiceSettings(
        database_url=database_url, scheduler_enabled=False, max_concurrent_requests_per_ip=1
    )
    async with in_process_nodes(pool, mail_farm) as serve:
        yield await serve(settings)


async def test_the_page_is_served_at_app_with_a_same_origin_policy(
    node_url: tuple[str, aiohttp.ClientSession],
) -> None:
    url, session = node_url
    for path in ("/app", "/app/"):
        async with session.get(url + path) as response:
            assert response.status == 200
            assert response.content_type == "text/html"
            assert await response.read() == (STATIC_DIR / "index.html").read_bytes()
            policy = response.headers["Content-Security-Policy"]
            assert "default-src 'self'" in policy
            assert "script-src 'self';" in policy
            assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_sources_and_npm_libraries_are_served_from_their_folders(
    node_url: tuple[str, aiohttp.ClientSession],
) -> None:
    url, session = node_url
    async with session.get(f"{url}/app/js/main.js") as response:
        assert response.status == 200
        assert "javascript" in response.content_type
        assert await response.read() == (STATIC_DIR / "js" / "main.js").read_bytes()
    for name, relative in VENDOR_FILES.items():
        async with session.get(f"{url}/app/vendor/{name}") as response:
            assert response.status == 200, name
            assert await response.read() == (NODE_MODULES / relative).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/app/vendor/package.json",
        "/app/vendor/..%2Fpackage.json",
        "/app/..%2Fpackage.json",
        "/app/%2E%2E/routes.py",
        "/app/js/missing.js",
        "/app/js",
    ],
)
async def test_anything_else_answers_404_problem(
    node_url: tuple[str, aiohttp.ClientSession], path: str
) -> None:
    url, session = node_url
    async with session.get(URL(url + path, encoded=True)) as response:
        assert response.status == 404
        assert response.content_type == PROBLEM_JSON
        assert (await response.json(content_type=PROBLEM_JSON))["status"] == 404


async def test_the_page_loads_while_the_client_uses_its_api_request_allowance(
    node_url: tuple[str, aiohttp.ClientSession], account: TestAccount
) -> None:
    url, session = node_url
    headers = basic_auth(account.sid, account.token)
    body = {"entries": [{"inputData": "alice@postfix.mailfarm.net"}]}
    async with session.post(f"{url}/v2.7/email-validations", json=body, headers=headers) as response:
        assert response.status == 202
        job_id = (await response.json())["overview"]["id"]
    # A long-poll on a job no scheduler works on holds the one API request this client may have in flight.
    long_poll = asyncio.create_task(
        session.get(f"{url}/v2.7/email-validations/{job_id}?waitTime=3000", headers=headers)
    )
    await asyncio.sleep(0.5)
    async with session.get(f"{url}/v2.7/credits/balance", headers=headers) as response:
        assert response.status == 429
    for path in ("/app/", "/app/app.css", "/app/js/api.js", "/app/vendor/chart.umd.min.js"):
        async with session.get(url + path) as response:
            assert response.status == 200, path
    async with await long_poll as response:
        assert response.status == 202
