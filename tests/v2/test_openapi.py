"""`/openapi.json` documents exactly the v1.4 and v2 routes the application serves."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp import web

from tests.v2.conftest import V2Node
from verifalia_server.api.shared.openapi import document
from verifalia_server.engine.config import EngineConfig
from verifalia_server.node import create_app
from verifalia_server.settings import ServiceSettings

_METHODS = {"get", "post", "delete", "options", "put", "patch"}


def _served(app: web.Application) -> set[tuple[str, str]]:
    served = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        documented_surface = path.startswith(("/v1.4/", "/{version}/")) or path in (
            "/health",
            "/openapi.json",
        )
        if documented_surface and route.method != "HEAD":
            served.add((route.method.lower(), path))
    return served


def _documented(spec: dict[str, object]) -> set[tuple[str, str]]:
    paths = spec["paths"]
    assert isinstance(paths, dict)
    return {(method, path) for path, item in paths.items() for method in item if method in _METHODS}


async def test_openapi_json_is_served(node: V2Node) -> None:
    async with node.session.get(f"{node.url}/openapi.json") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        spec = await response.json()
    assert spec["openapi"] == "3.1.0"
    assert spec == document()


async def test_every_route_is_documented_and_every_documented_route_exists(
    database_url: str, pool: asyncpg.Pool[Any]
) -> None:
    app = create_app(ServiceSettings(database_url=database_url), pool, EngineConfig())
    spec = document()
    assert _served(app) == _documented(spec)
    assert ("post", "/{version}/email-validations") in _documented(spec)
    assert ("get", "/v1.4/account-balance") in _documented(spec)


def test_every_schema_reference_resolves() -> None:
    spec = document()
    schemas = spec["components"]["schemas"]
    references: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if "$ref" in value:
                references.append(value["$ref"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(spec)
    assert references
    assert {reference.rsplit("/", 1)[1] for reference in references} <= set(schemas)
