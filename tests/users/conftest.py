"""Users API fixtures: in-process v2 nodes, and one call helper for the `/v2.7/users` routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from multidict import CIMultiDictProxy

from tests.v2.conftest import V2Node, node, start_v2_node

__all__ = ["node", "start_v2_node"]

V2_7 = "v2.7"
JSON_PATCH = "application/json-patch+json"


@dataclass(frozen=True)
class Reply:
    """A read response: its status, headers and decoded JSON body (None when it has none)."""

    status: int
    headers: CIMultiDictProxy[str]
    body: Any


async def call(
    node: V2Node,
    method: str,
    path: str,
    auth: dict[str, str],
    *,
    body: Any = None,
    patch: Any = None,
    headers: dict[str, str] | None = None,
    version: str = V2_7,
) -> Reply:
    """Send a request to a v2 route (a JSON body, or a JSON Patch document) and read its answer."""
    sent = {**auth, **(headers or {})}
    data: bytes | None = None
    if patch is not None:
        sent.setdefault("Content-Type", JSON_PATCH)
        data = orjson.dumps(patch)
    elif body is not None:
        sent.setdefault("Content-Type", "application/json")
        data = orjson.dumps(body)
    async with node.session.request(method, node.v2(path, version), data=data, headers=sent) as response:
        text = await response.text()
        decoded = await response.json(content_type=None) if text else None
        return Reply(response.status, response.headers, decoded)
