"""What one mail exchanger tolerates from this client, learnt from its replies and shared by every batch.

Real servers limit clients in three ways the prober must respect (Postfix's defaults shown):
- refused commands per session (`smtpd_soft_error_limit` 10 slows every reply down, `smtpd_hard_error_limit`
  20 drops the session with `421 4.7.0 Error: too many errors`);
- recipients per time unit (anvil's `smtpd_client_recipient_rate_limit`: `450 4.7.1 Error: too many
  recipients from [ip]`), counted in fixed windows that start with the client's first event;
- connections, at once or per time unit (`421 4.7.0 Error: too many connections from ip`).

`ExchangerPace` keeps one exchanger's learnt limits: a session window that grows by one slot per quiet
session and halves on a connection refusal (AIMD), an error budget per session, a per-transaction recipient
limit, and a recipient rate: at most `limit` recipients in any `interval` seconds, where `limit` is what
the server took before it first throttled and `interval` is how long it took, backing off in small steps,
until the server accepted again; a later refusal within that interval lengthens it.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]

_FIRST_PAUSE = 1.0
_PAUSE_GROWTH = 1.25
_LONGEST_PAUSE = 300.0
# A refusal within the learnt interval lengthens it by this factor; a clean run shortens it by the other,
# never below the longest interval after which the server still refused.
_INTERVAL_GROWTH = 1.1
_INTERVAL_SHRINK = 0.97
# Session slots come back one quarter at a time after a refusal (additive increase).
_SESSION_STEP = 0.25
_ERROR_MARGIN = 2
# While one recipient tries a paused exchanger, other sessions hold back this long (or until it answers).
_TRIAL_WAIT = 1.0
# Sends this close to leaving the rate window count as gone, so float rounding never stalls a wait.
_CLOCK_SLACK = 1e-6


@dataclass(frozen=True, slots=True)
class Admission:
    """Recipients that may be sent now, and the epoch their replies are reported under."""

    count: int
    epoch: int


class ExchangerPace:
    """The learnt limits of one mail exchanger address (for one egress); every method is loop-local."""

    def __init__(self, max_sessions: int, error_budget: int, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self.max_sessions = max(1, max_sessions)
        self.sessions_allowed = float(self.max_sessions)
        self.active = 0
        self.error_budget = max(1, error_budget)
        self.transaction_limit: int | None = None
        self.rate_limit: int | None = None
        self.interval: float | None = None
        self._connect_after = 0.0
        self._connect_pause = _FIRST_PAUSE
        self._send_after = 0.0
        self._pause = _FIRST_PAUSE
        self._sent: deque[float] = deque()
        self._interval_floor = 0.0
        self._run_start: float | None = None
        self._run_accepted = 0
        self._paused = False
        self._epoch = 0
        self._first_run = -1
        self._slot_freed = asyncio.Event()

    @property
    def idle(self) -> bool:
        """Whether no session holds or waits for a slot (so the learnt state may be forgotten)."""
        return self.active == 0

    async def open_slot(self) -> None:
        """Wait for a session slot: fewer sessions than allowed, and no connection pause in force."""
        while True:
            wait = self._connect_after - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            if self.active < max(1, int(self.sessions_allowed)):
                self.active += 1
                return
            self._slot_freed.clear()
            await self._slot_freed.wait()

    def close_slot(self) -> None:
        """Give back a session slot taken with `open_slot`."""
        self.active -= 1
        self._slot_freed.set()

    def session_opened(self) -> None:
        """A session reached MAIL FROM: connection refusals are forgiven a little."""
        self._connect_pause = _FIRST_PAUSE
        self.sessions_allowed = min(float(self.max_sessions), self.sessions_allowed + _SESSION_STEP)

    def connections_refused(self) -> None:
        """The server refused a session for having too many: halve the window and pause new sessions."""
        self.sessions_allowed = max(1.0, self.sessions_allowed / 2)
        self._connect_after = self._clock() + self._connect_pause
        self._connect_pause = min(_LONGEST_PAUSE, self._connect_pause * _PAUSE_GROWTH)
        self._slot_freed.set()

    def errors_exceeded(self, errors: int) -> None:
        """The server dropped a session after `errors` refused commands: end sessions earlier from now on."""
        self.error_budget = max(1, min(self.error_budget, errors - _ERROR_MARGIN))

    def transaction_full(self, accepted: int) -> None:
        """The server took only `accepted` recipients in one transaction (452 4.5.3)."""
        self.transaction_limit = max(1, accepted)

    def delay(self, count: int = 1) -> float:
        """Seconds before `count` more recipients may be sent (0 when they may go now)."""
        now = self._clock()
        wait = self._send_after - now
        if self.rate_limit is not None and self.interval is not None:
            self._forget_before(now - self.interval)
            excess = len(self._sent) + count - self.rate_limit
            if excess > 0:
                wait = max(wait, self._sent[min(excess, len(self._sent)) - 1] + self.interval - now)
        return max(0.0, wait)

    def admit(self, wanted: int) -> Admission:
        """Take up to `wanted` recipient sends that may go now (none when none may; see `delay()`).

        Report each reply with the admission's `epoch`: replies to recipients sent before the exchanger
        was paused or tried again say nothing new and are ignored.
        """
        if self.delay() > 0:
            return Admission(0, self._epoch)
        now = self._clock()
        allowed = wanted
        if self.rate_limit is not None and self.interval is not None:
            allowed = max(0, min(wanted, self.rate_limit - len(self._sent)))
        if self._paused and allowed:
            # After a pause, one recipient tries whether the server accepts again; the others wait for it.
            allowed = 1
            self._epoch += 1
            self._send_after = now + _TRIAL_WAIT
        if allowed and self._run_start is None:
            self._run_start = now
        self._sent.extend([now] * allowed)
        if self.rate_limit is None or self.interval is None:
            self._forget_before(now - _LONGEST_PAUSE)
        return Admission(allowed, self._epoch)

    def accepted(self, epoch: int) -> None:
        """The server answered a recipient of admission `epoch` without throttling."""
        if epoch == self._first_run and self.rate_limit is not None:
            # Sessions read their replies in their own order: the server took this one in its first window.
            self.rate_limit += 1
            return
        if epoch != self._epoch:
            return
        now = self._clock()
        if self._paused and self._run_start is not None:
            # Accepted again after a pause: the server's window lasts no longer than that.
            if self.interval is None:
                self.interval = now - self._run_start
            self._paused = False
            self._send_after = now
            self._pause = _FIRST_PAUSE
            self._run_start, self._run_accepted = now, 0
        elif self.rate_limit is not None and self._run_accepted >= self.rate_limit:
            # A whole run went through: try a slightly shorter interval, never below one refused before.
            if self.interval is not None:
                self.interval = max(self._interval_floor, self.interval * _INTERVAL_SHRINK)
            self._run_start, self._run_accepted = now, 0
        self._run_accepted += 1

    def throttled(self, epoch: int) -> None:
        """The server refused a recipient of admission `epoch` for this client's rate: learn, then pause."""
        if epoch != self._epoch:
            return
        now = self._clock()
        if not self._paused and self.rate_limit is None:
            # The first refusal: what the server took in this run is what it allows per window; replies
            # of the same run still unread count too.
            self.rate_limit = self._run_accepted or None
            self._first_run = epoch
        elif self.interval is not None:
            # Refused within what was learnt: the server's window is longer than believed.
            self._interval_floor = max(self._interval_floor, self.interval)
            self.interval *= _INTERVAL_GROWTH
        if self._paused and self._run_start is not None:
            self._interval_floor = max(self._interval_floor, now - self._run_start)
        if self._paused:
            self._pause = min(_LONGEST_PAUSE, self._pause * _PAUSE_GROWTH)
        self._paused = True
        self._epoch += 1
        self._send_after = now + self._next_pause(now)

    def _next_pause(self, now: float) -> float:
        """How long to wait before trying again: until the learnt interval ends, else a growing back-off."""
        if self.interval is not None and self._run_start is not None:
            remaining = self._run_start + self.interval - now
            if remaining > 0:
                return remaining
        return self._pause

    def _forget_before(self, horizon: float) -> None:
        horizon += _CLOCK_SLACK
        while self._sent and self._sent[0] <= horizon:
            self._sent.popleft()


class PaceBook:
    """Every exchanger's pace, by key (egress and address); idle entries beyond `capacity` are forgotten."""

    def __init__(self, max_sessions: int, error_budget: int, capacity: int = 65_536) -> None:
        self._max_sessions = max_sessions
        self._error_budget = error_budget
        self._capacity = capacity
        self._paces: OrderedDict[str, ExchangerPace] = OrderedDict()

    def get(self, key: str) -> ExchangerPace:
        """The pace of `key`, created with the configured defaults on first use."""
        pace = self._paces.get(key)
        if pace is None:
            pace = self._paces[key] = ExchangerPace(self._max_sessions, self._error_budget)
            self._evict()
        else:
            self._paces.move_to_end(key)
        return pace

    def _evict(self) -> None:
        while len(self._paces) > self._capacity:
            oldest_key, oldest = next(iter(self._paces.items()))
            if not oldest.idle:
                return
            del self._paces[oldest_key]
