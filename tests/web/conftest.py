"""A real node process with the test mail farm behind it, and a synchronous view of its v2 API for checks."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from tests.mailfarm.farm import MailFarm
from tests.support.cluster import run_cluster
from tests.support.database import TestAccount, create_test_account

_NODE_ENVIRON = {
    "VERIFALIA_SCHEDULER_POLL_SECONDS": "0.05",
    "VERIFALIA_POOL_MIN_SIZE": "1",
}


@dataclass(frozen=True)
class WebNode:
    """A running node's base URL and an account on it with every permission."""

    url: str
    account: TestAccount

    def api(self, path: str, body: Any = None) -> tuple[int, bytes]:
        """GET a v2 resource, or POST `body` as JSON, with the account's Basic credentials (blocking)."""
        credentials = base64.b64encode(f"{self.account.sid}:{self.account.token}".encode()).decode()
        headers = {"Authorization": f"Basic {credentials}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(f"{self.url}/v2.7{path}", data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def api_json(self, path: str) -> Any:
        """The JSON body of a successful GET."""
        status, body = self.api(path)
        assert status in (200, 202), body
        return json.loads(body)


@pytest.fixture
async def web_node(database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm) -> AsyncIterator[WebNode]:
    """One `verifalia-server serve` process on the test database, probing the farm."""
    account = await create_test_account(pool, credits=10_000, free_daily=100)
    environ = {**mail_farm.engine_environ(), **_NODE_ENVIRON}
    async with run_cluster(database_url, environ, count=1) as cluster:
        yield WebNode(cluster.urls[0], account)
