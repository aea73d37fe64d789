"""Caps on concurrent SMTP sessions: in total, and per mail exchanger as far as its learnt pace allows."""

from __future__ import annotations

import asyncio

from verifalia_server.engine.smtp.pacing import ExchangerPace, PaceBook


class SessionLimiter:
    """Hands out session slots; a slot for a key (an exchanger address and egress) takes a total slot too."""

    def __init__(self, per_host: int, total: int, error_budget: int = 8) -> None:
        self.per_host = per_host
        self.total = total
        self._total = asyncio.Semaphore(max(1, total))
        self._paces = PaceBook(per_host, error_budget)
        self._holders: dict[str, int] = {}

    def pace(self, key: str) -> ExchangerPace:
        """What has been learnt about the exchanger behind `key`; shared by every batch."""
        return self._paces.get(key)

    async def acquire(self, key: str) -> None:
        """Wait for a free slot for `key` (within its pace) and a free slot overall."""
        pace = self._paces.get(key)
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            await pace.open_slot()
            try:
                await self._total.acquire()
            except BaseException:
                pace.close_slot()
                raise
        except BaseException:
            self._forget(key)
            raise

    def release(self, key: str) -> None:
        """Give back a slot taken with `acquire(key)`."""
        self._paces.get(key).close_slot()
        self._total.release()
        self._forget(key)

    def _forget(self, key: str) -> None:
        remaining = self._holders[key] - 1
        if remaining:
            self._holders[key] = remaining
        else:
            del self._holders[key]

    def active_hosts(self) -> int:
        """How many keys currently hold or wait for a slot."""
        return len(self._holders)
