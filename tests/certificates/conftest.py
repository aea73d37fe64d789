"""Nodes serving HTTPS in process (the real application on a loopback port), the test PKI, and helpers that
call them with or without a client certificate."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from tests.certificates.pki import Issued, Pki
from tests.mailfarm.farm import MailFarm
from tests.support.database import TestAccount, create_test_account
from tests.support.nodes import basic_auth
from verifalia_server.api.shared.tls import TLS_CONTEXT_KEY
from verifalia_server.engine.config import EngineConfig
from verifalia_server.node import create_app
from verifalia_server.service.permissions import UserType
from verifalia_server.settings import ServiceSettings
from verifalia_server.store import users

VERSION = "v2.7"
PROBLEM_JSON = "application/problem+json"


@dataclass
class TlsNode:
    """A node serving HTTPS: its base URL, the test PKI, the account's administrator and a client session."""

    url: str
    pki: Pki
    admin: TestAccount
    session: aiohttp.ClientSession

    def v2(self, path: str) -> str:
        """The URL of a v2.7 resource."""
        return f"{self.url}/{VERSION}{path}"

    async def call(
        self,
        method: str,
        path: str,
        *,
        client: Issued | None = None,
        auth: TestAccount | None = None,
        data: Any = None,
    ) -> tuple[int, Any]:
        """Send a request presenting `client`'s certificate and/or `auth`'s Basic credentials; return the
        status and the decoded body (None when empty)."""
        headers = basic_auth(*auth.basic_auth) if auth is not None else {}
        async with self.session.request(
            method, self.v2(path), headers=headers, data=data, ssl=self.pki.client_context(client)
        ) as response:
            body = await response.read()
            if not body:
                return response.status, None
            return response.status, await response.json(content_type=None)

    async def register(self, user_id: str, upload: bytes, auth: TestAccount | None = None) -> tuple[int, Any]:
        """Upload a certificate for a user as the C# SDK does (multipart `certificate` part with a file
        name), by default as the account's administrator."""
        form = aiohttp.FormData()
        form.add_field("certificate", upload, filename="dummy", content_type="application/octet-stream")
        return await self.call("POST", f"/users/{user_id}/certificates", auth=auth or self.admin, data=form)


StartNode = Callable[..., Awaitable[TlsNode]]


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    """A CA, a server certificate for 127.0.0.1, in the test's own folder."""
    return Pki(tmp_path)


@pytest.fixture
async def start_tls_node(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm, pki: Pki
) -> AsyncIterator[StartNode]:
    """Start in-process HTTPS nodes on the test database; all of them serve the same account."""
    servers: list[TestServer] = []
    admin = await create_test_account(pool, credits=10_000)
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())

        async def start(client_ca: bool = False) -> TlsNode:
            settings = ServiceSettings(
                database_url=database_url,
                poll_seconds=0.05,
                tls_cert_file=pki.server.cert_file,
                tls_key_file=pki.server.key_file,
                tls_client_ca_file=pki.ca.cert_file if client_ca else None,
            )
            app = create_app(settings, pool, EngineConfig.from_env(mail_farm.engine_environ()))
            server = TestServer(app, host="127.0.0.1")
            await server.start_server(ssl=app[TLS_CONTEXT_KEY])
            servers.append(server)
            return TlsNode(str(server.make_url("")).rstrip("/"), pki, admin, session)

        yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def tls_node(start_tls_node: StartNode) -> TlsNode:
    """One HTTPS node."""
    return await start_tls_node()


async def create_user(
    pool: asyncpg.Pool[Any],
    account: TestAccount,
    *,
    certificate_login: bool = True,
    rules: tuple[str, ...] = ("email-verifications:*:own", "credits:read", "client-certificates:*:own"),
    user_type: UserType = UserType.STANDARD,
) -> TestAccount:
    """A user of the account, allowed to log in with certificates unless told otherwise."""
    password = users.new_password()
    profile = users.Profile("cert user", rules=rules, certificate_login=certificate_login)
    user = await users.create_user(pool, account.account_id, user_type, profile, password)
    return TestAccount(account.account_id, user.id, password)


def problem(status_and_body: tuple[int, Any], status: int) -> str:
    """Assert a problem answer with `status`; return its detail."""
    got, body = status_and_body
    assert got == status, body
    assert body["status"] == status
    detail: str = body["detail"]
    return detail
