"""CAPTCHA fixtures: the loopback siteverify server, and v2 nodes configured to verify with it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.siteverify import Siteverify, siteverify_server
from tests.v2.conftest import NodeFactory, V2Node, start_v2_node

__all__ = ["start_v2_node"]


@pytest.fixture
async def siteverify() -> AsyncIterator[Siteverify]:
    """The three providers' siteverify endpoints on loopback."""
    async with siteverify_server() as server:
        yield server


@pytest.fixture
async def captcha_node(start_v2_node: NodeFactory, siteverify: Siteverify) -> V2Node:
    """A node verifying CAPTCHAs with the loopback server (every provider configured, 1 s timeout)."""
    return await start_v2_node({**siteverify.environ(), "VERIFALIA_CAPTCHA_TIMEOUT": "1"})
