"""Error rendering per API surface, and unexpected failures answered 500 without internals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.mailfarm.farm import MailFarm
from verifalia_server.api.shared.errors import ApiError
from verifalia_server.api.shared.middleware import error_middleware
from verifalia_server.engine.config import EngineConfig
from verifalia_server.node import create_app
from verifalia_server.settings import ServiceSettings
from verifalia_server.store.database import create_pool

pytestmark = pytest.mark.timeout(60)


async def crash(_request: web.Request) -> web.Response:
    raise RuntimeError("secret internal detail")


async def refuse(_request: web.Request) -> web.Response:
    raise ApiError(402, "Payment Required", "Not enough credits.", leadrocks_code=1402)


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application(middlewares=[error_middleware])
    for prefix in ("/v1.4", "/v2.6", "/v1"):
        app.router.add_get(f"{prefix}/crash", crash)
        app.router.add_get(f"{prefix}/refuse", refuse)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    yield str(test_server.make_url("")).rstrip("/")
    await test_server.close()


async def test_unexpected_exceptions_are_500_without_a_stack_trace(server: str) -> None:
    async with aiohttp.ClientSession() as session:
        for prefix in ("/v1.4", "/v2.6", "/v1"):
            async with session.get(f"{server}{prefix}/crash") as response:
                assert response.status == 500
                text = await response.text()
                assert "secret internal detail" not in text
                assert "Traceback" not in text
                assert "RuntimeError" not in text


async def test_each_surface_renders_errors_in_its_own_style(server: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server}/v1.4/refuse") as response:
            assert response.status == 402
            assert response.content_type == "application/json"
            assert await response.json() == {"status": 402, "message": "Not enough credits."}
        async with session.get(f"{server}/v2.6/refuse") as response:
            assert response.status == 402
            assert response.content_type == "application/problem+json"
            assert await response.json(content_type=None) == {
                "type": "about:blank",
                "title": "Payment Required",
                "status": 402,
                "detail": "Not enough credits.",
            }
        async with session.get(f"{server}/v1/refuse") as response:
            assert response.status == 402
            assert await response.json() == {
                "status": "failed",
                "error": {"code": 1402, "message": "Not enough credits."},
            }
        async with session.get(f"{server}/v2.6/missing") as response:
            assert response.status == 404
            assert response.content_type == "application/problem+json"


async def test_health_answers_503_when_the_database_is_unreachable(
    database_url: str, mail_farm: MailFarm
) -> None:
    own_pool = await create_pool(database_url, min_size=1, max_size=1)
    settings = ServiceSettings(database_url=database_url, scheduler_enabled=False)
    app = create_app(settings, own_pool, EngineConfig.from_env(mail_farm.engine_environ()))
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    try:
        await own_pool.close()
        async with (
            aiohttp.ClientSession() as session,
            session.get(test_server.make_url("/health")) as response,
        ):
            assert response.status == 503
            assert (await response.json())["database"] == "unavailable"
    finally:
        await test_server.close()
