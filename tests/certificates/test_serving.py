"""Serving HTTPS: `verifalia-server serve` with the TLS variables, their checks, and plain HTTP by default."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from tests.certificates.conftest import create_user
from tests.certificates.pki import Pki
from tests.support.cluster import free_port
from tests.support.database import create_test_account
from tests.support.nodes import basic_auth
from verifalia_server.api.shared.tls import CLIENT_TRUST_KEY, TLS_CONTEXT_KEY
from verifalia_server.engine.config import EngineConfig
from verifalia_server.environment import ConfigError
from verifalia_server.node import create_app
from verifalia_server.settings import NodeSettings, ServiceSettings


async def test_serve_answers_https_with_the_tls_variables(database_url: str, pki: Pki) -> None:
    port = free_port()
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VERIFALIA_SCHEDULER": "0",
        "VERIFALIA_LOG_LEVEL": "WARNING",
        "VERIFALIA_TLS_CERT_FILE": str(pki.server.cert_file),
        "VERIFALIA_TLS_KEY_FILE": str(pki.server.key_file),
    }
    command = [sys.executable, "-m", "verifalia_server", "serve", "--port", str(port)]
    process = await asyncio.create_subprocess_exec(
        *command, env=environ, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        status = await _health(f"https://127.0.0.1:{port}/health", pki, process)
        assert status == 200
        # The port speaks TLS only.
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{port}/health") as response:
                    await response.read()
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def _health(url: str, pki: Pki, process: asyncio.subprocess.Process) -> int:
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise AssertionError(await process.stderr.read() if process.stderr else b"")
            with contextlib.suppress(aiohttp.ClientConnectorError):
                async with session.get(url, ssl=pki.client_context(None)) as response:
                    return response.status
            await asyncio.sleep(0.1)
    raise AssertionError(f"no answer from {url} within 30 s")


def test_the_tls_variables_are_checked_together() -> None:
    with pytest.raises(ConfigError, match="VERIFALIA_TLS_CERT_FILE and VERIFALIA_TLS_KEY_FILE go together"):
        NodeSettings.from_env({"VERIFALIA_TLS_KEY_FILE": "node.key"})
    with pytest.raises(ConfigError, match="VERIFALIA_TLS_CLIENT_CA_FILE needs VERIFALIA_TLS_CERT_FILE"):
        NodeSettings.from_env({"VERIFALIA_TLS_CLIENT_CA_FILE": "clients.crt"})
    settings = NodeSettings.from_env(
        {"VERIFALIA_TLS_CERT_FILE": "node.crt", "VERIFALIA_TLS_KEY_FILE": "node.key"}
    )
    assert settings.service.tls_cert_file is not None
    assert settings.service.tls_cert_file.is_absolute()
    assert NodeSettings.from_env({}).service.tls_cert_file is None


async def test_a_plain_http_node_serves_certificates_without_tls(
    database_url: str, pool: asyncpg.Pool[Any], pki: Pki
) -> None:
    app = create_app(ServiceSettings(database_url=database_url), pool, EngineConfig())
    assert TLS_CONTEXT_KEY not in app
    assert CLIENT_TRUST_KEY not in app
    admin = await create_test_account(pool)
    user = await create_user(pool, admin)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        form = aiohttp.FormData()
        form.add_field("certificate", pki.issue("plain client").pem, filename="dummy")
        async with aiohttp.ClientSession() as session:
            url = str(server.make_url(f"/v2.7/users/{user.sid}/certificates"))
            assert url.startswith("http://")
            async with session.post(url, data=form, headers=basic_auth(*admin.basic_auth)) as response:
                assert response.status == 200, await response.text()
            async with session.get(url, headers=basic_auth(*admin.basic_auth)) as response:
                assert len((await response.json())["data"]) == 1
    finally:
        await server.close()
