"""What each domain's catch-all probe showed, remembered for a while and shared by every batch of a node.

A bulk list reaches the same domains batch after batch; asking each batch's random address again would
only spend the exchanger's patience (every refused probe counts as an error, and as a recipient against
its rate limits).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from verifalia_server.engine.smtp.handshake import Outcome

_TTL_SECONDS = 600.0
_CAPACITY = 65_536


class CatchAllMemory:
    """Decisive catch-all probe outcomes by domain (accepted or refused), each kept for `ttl` seconds."""

    def __init__(
        self,
        ttl: float = _TTL_SECONDS,
        capacity: int = _CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._outcomes: OrderedDict[str, tuple[float, Outcome]] = OrderedDict()

    def known(self, domains: Iterable[str]) -> dict[str, Outcome]:
        """The remembered, unexpired outcomes of `domains`."""
        now = self._clock()
        found: dict[str, Outcome] = {}
        for domain in domains:
            entry = self._outcomes.get(domain)
            if entry is None:
                continue
            expires, outcome = entry
            if expires <= now:
                del self._outcomes[domain]
            else:
                found[domain] = outcome
        return found

    def remember(self, domain: str, outcome: Outcome) -> None:
        """Keep a decisive outcome of `domain`'s probe."""
        self._outcomes[domain] = (self._clock() + self._ttl, outcome)
        self._outcomes.move_to_end(domain)
        while len(self._outcomes) > self._capacity:
            self._outcomes.popitem(last=False)
