"""The `mail_farm` pytest fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.mailfarm.farm import MailFarm


@pytest_asyncio.fixture
async def mail_farm() -> AsyncIterator[MailFarm]:
    """A started mail farm, shut down after the test."""
    async with MailFarm() as farm:
        yield farm
