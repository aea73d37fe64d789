"""Caps on concurrent SMTP sessions: per mail exchanger address and in total."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass(slots=True)
class _HostSlots:
    semaphore: asyncio.Semaphore
    users: int = 0


@dataclass(slots=True)
class SessionLimiter:
    """Hands out session slots; a slot for a host also takes one of the total slots."""

    per_host: int
    total: int
    _total: asyncio.Semaphore = field(init=False)
    _hosts: dict[str, _HostSlots] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._total = asyncio.Semaphore(max(1, self.total))

    async def acquire(self, host: str) -> None:
        """Wait for a free slot for `host` (and a free slot overall)."""
        slots = self._hosts.get(host)
        if slots is None:
            slots = self._hosts[host] = _HostSlots(asyncio.Semaphore(max(1, self.per_host)))
        slots.users += 1
        try:
            await self._total.acquire()
            try:
                await slots.semaphore.acquire()
            except BaseException:
                self._total.release()
                raise
        except BaseException:
            self._forget(host, slots)
            raise

    def release(self, host: str) -> None:
        """Give back a slot taken with `acquire(host)`."""
        slots = self._hosts[host]
        slots.semaphore.release()
        self._total.release()
        self._forget(host, slots)

    def _forget(self, host: str, slots: _HostSlots) -> None:
        slots.users -= 1
        if slots.users == 0:
            del self._hosts[host]

    def active_hosts(self) -> int:
        """How many hosts currently hold or wait for a slot."""
        return len(self._hosts)
