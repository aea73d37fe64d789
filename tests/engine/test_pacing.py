"""The learnt pace of one exchanger, driven by a model of Postfix anvil's fixed-window rate limit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from verifalia_server.engine.smtp.pacing import ExchangerPace


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class AnvilWindow:
    """Postfix anvil: a client's counters reset at its first event once `unit` seconds have passed."""

    limit: int
    unit: float
    start: float | None = None
    count: int = 0

    def recipient(self, now: float) -> bool:
        if self.start is None or self.start + self.unit < now:
            self.start, self.count = now, 0
        self.count += 1
        return self.count <= self.limit


def drive(
    pace: ExchangerPace, clock: Clock, server: AnvilWindow, wanted: int, window: int
) -> tuple[float, int]:
    """Send `wanted` recipients `window` at a time as the pace allows; return the time taken and refusals."""
    accepted = refused = 0
    while accepted < wanted:
        wait = pace.delay()
        if wait > 0:
            clock.now += wait
            continue
        admission = pace.admit(min(window, wanted - accepted))
        # Pipelined: the whole admission goes out before the first reply comes back.
        for _ in range(admission.count):
            clock.now += 0.01
            if server.recipient(clock.now):
                pace.accepted(admission.epoch)
                accepted += 1
            else:
                pace.throttled(admission.epoch)
                refused += 1
    return clock.now, refused


@pytest.mark.parametrize(("limit", "unit"), [(20, 10.0), (5, 60.0), (100, 5.0)])
def test_a_fixed_window_rate_is_learnt_and_kept(limit: int, unit: float) -> None:
    clock = Clock()
    pace = ExchangerPace(max_sessions=4, error_budget=8, clock=clock)
    server = AnvilWindow(limit, unit)

    learning, _ = drive(pace, clock, server, limit * 6, window=10)
    elapsed, refused = drive(pace, clock, server, limit * 6, window=10)
    elapsed -= learning

    assert pace.rate_limit == limit
    assert pace.interval is not None
    assert unit <= pace.interval <= unit * 1.3
    # Once learnt, six windows' worth takes little more than the six windows the limit needs,
    # at the cost of a refused recipient or two while the interval is narrowed.
    assert elapsed <= 1.3 * unit * 6
    assert refused <= 3


def test_an_exchanger_that_never_throttles_is_never_slowed() -> None:
    clock = Clock()
    pace = ExchangerPace(max_sessions=4, error_budget=8, clock=clock)

    elapsed, refused = drive(pace, clock, AnvilWindow(limit=10**9, unit=10.0), 500, window=10)

    assert refused == 0
    assert pace.rate_limit is None
    assert elapsed == pytest.approx(5.0)


def test_refused_connections_halve_the_session_window_and_sessions_restore_it() -> None:
    clock = Clock()
    pace = ExchangerPace(max_sessions=8, error_budget=8, clock=clock)

    pace.connections_refused()
    pace.connections_refused()

    assert pace.sessions_allowed == 2
    for _ in range(24):
        pace.session_opened()
    assert pace.sessions_allowed == 8


def test_a_session_dropped_for_errors_lowers_the_error_budget() -> None:
    pace = ExchangerPace(max_sessions=4, error_budget=8)

    pace.errors_exceeded(5)

    assert pace.error_budget == 3
    pace.errors_exceeded(20)
    assert pace.error_budget == 3
