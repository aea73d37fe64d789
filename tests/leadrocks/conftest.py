"""LeadRocks API fixtures: an in-process node on a loopback port with the mail farm, apps and helpers."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.mailfarm.farm import MailFarm
from tests.support.database import create_test_account
from tests.support.nodes import in_process_nodes
from verifalia_server.settings import ServiceSettings
from verifalia_server.store import apps

# Short budgets so the suite stays fast; a test needing others sets its own environment.
TEST_ENVIRON = {
    "VERIFALIA_LEADROCKS_VERIFY_TIMEOUT": "10",
    "VERIFALIA_LEADROCKS_MAX_CONCURRENT_LISTS": "0",
    "VERIFALIA_LEADROCKS_VERIFIES_PER_MINUTE": "0",
    "VERIFALIA_LEADROCKS_REQUESTS_PER_MINUTE": "0",
}


@dataclasses.dataclass
class LeadRocksNode:
    """A running node: its base URL, an HTTP session and the database pool behind it."""

    url: str
    session: aiohttp.ClientSession
    pool: asyncpg.Pool[Any]

    async def call(
        self, method: str, path: str, token: str | None, **kwargs: Any
    ) -> tuple[int, dict[str, str], Any]:
        """Send a request with the token as `Authorization`; return status, headers and the JSON body."""
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers.setdefault("Authorization", token)
        async with self.session.request(method, f"{self.url}{path}", headers=headers, **kwargs) as response:
            return response.status, dict(response.headers), await response.json(content_type=None)

    async def download(self, list_id: int, token: str) -> tuple[int, dict[str, str], bytes]:
        """GET the result file of a list."""
        async with self.session.get(
            f"{self.url}/v1/bulkverify/{list_id}/download", headers={"Authorization": token}
        ) as response:
            return response.status, dict(response.headers), await response.read()


NodeFactory = Callable[..., Awaitable[LeadRocksNode]]


def failed(code: int, message: str) -> dict[str, Any]:
    """The LeadRocks error object."""
    return {"status": "failed", "error": {"code": code, "message": message}}


@dataclasses.dataclass(frozen=True)
class AppToken:
    """An app of a test account and its token."""

    account_id: int
    app_id: int
    token: str


def upload_form(
    content: bytes, file_name: str = "list.csv", email_column: str | None = None
) -> aiohttp.FormData:
    """A `multipart/form-data` bulk list upload."""
    form = aiohttp.FormData()
    form.add_field("file", content, filename=file_name, content_type="text/csv")
    if email_column is not None:
        form.add_field("email_column", email_column)
    return form


async def create_app_token(
    pool: asyncpg.Pool[Any],
    *,
    credits: int = 1_000_000,
    free_daily: int = 0,
    limits: apps.AppLimits | None = None,
) -> AppToken:
    """A fresh account with one app."""
    account = await create_test_account(pool, credits=credits, free_daily=free_daily)
    app, token = await apps.create_app(pool, account.account_id, "test app", limits or apps.AppLimits())
    return AppToken(account.account_id, app.id, token)


async def wait_completed(node: LeadRocksNode, list_id: int, token: str, within: float = 60.0) -> list[str]:
    """Poll a list until it is completed; return every progress status seen, in order, without repeats."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    seen: list[str] = []
    while True:
        status, _, body = await node.call("GET", f"/v1/bulkverify/{list_id}", token)
        assert status == 200, body
        progress = body["data"]["progress_status"]
        if not seen or seen[-1] != progress:
            seen.append(progress)
        if progress == "completed":
            return seen
        assert loop.time() < deadline, f"list {list_id} not completed after {within} s"
        await asyncio.sleep(0.05)


@pytest.fixture
async def start_node(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[NodeFactory]:
    """Start in-process nodes against the test database and the mail farm.

    Keyword arguments set `VERIFALIA_LEADROCKS_*` variables (`VERIFY_TIMEOUT="1"`) or `scheduler_enabled`.
    """
    async with in_process_nodes(pool, mail_farm) as serve:

        async def start(scheduler_enabled: bool = True, **leadrocks: str) -> LeadRocksNode:
            environ = {
                **TEST_ENVIRON,
                **{f"VERIFALIA_LEADROCKS_{name}": value for name, value in leadrocks.items()},
            }
            for name, value in environ.items():
                monkeypatch.setenv(name, value)
            settings = ServiceSettings(
                database_url=database_url,
                poll_seconds=0.05,
                v1_submit_wait=0.0,
                scheduler_enabled=scheduler_enabled,
                max_concurrent_requests_per_ip=50,
            )
            url, session = await serve(settings)
            return LeadRocksNode(url, session, pool)

        yield start


@pytest.fixture
async def node(start_node: NodeFactory) -> LeadRocksNode:
    """One node with the test settings (no per-app limits, scheduler running)."""
    return await start_node()


@pytest.fixture
async def app_token(pool: asyncpg.Pool[Any]) -> AppToken:
    """An account with plenty of credits and one app."""
    return await create_app_token(pool)
