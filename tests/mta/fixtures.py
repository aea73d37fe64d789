"""The `mta_farm` and `mta_farm_factory` pytest fixtures."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

import pytest_asyncio

from tests.mta.farm import GREYLIST_DELAY, MtaFarm
from tests.mta.scenario import Scenario


class MtaFarmFactory(Protocol):
    """Starts a farm for `scenario` (the small one by default) that the fixture stops after the test."""

    async def __call__(
        self, scenario: Scenario | None = None, *, latency: float = 0.0, greylist_delay: int = GREYLIST_DELAY
    ) -> MtaFarm: ...


@pytest_asyncio.fixture
async def mta_farm() -> AsyncIterator[MtaFarm]:
    """A started Postfix farm serving the small scenario, shut down after the test."""
    async with MtaFarm() as farm:
        yield farm


@pytest_asyncio.fixture
async def mta_farm_factory() -> AsyncIterator[MtaFarmFactory]:
    """Starts Postfix farms on demand; every farm it started is shut down after the test."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(
            scenario: Scenario | None = None, *, latency: float = 0.0, greylist_delay: int = GREYLIST_DELAY
        ) -> MtaFarm:
            farm = MtaFarm(scenario, latency=latency, greylist_delay=greylist_delay)
            return await stack.enter_async_context(farm)

        yield start
