"""Run the Postfix farm standalone: `python -m tests.mta [--scenario bulk|throttled|small] [--latency S]`.

Prints the engine's environment, one `KEY=VALUE` per line, writes the scenario's addresses with their
expected statuses (`address,status` per line) to a file it names, then serves until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.mta.farm import GREYLIST_DELAY, MtaFarm
from tests.mta.scenario import Scenario
from tests.mta.scenarios import bulk_scenario, small_scenario, throttled_scenario

SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "small": small_scenario,
    "bulk": bulk_scenario,
    "throttled": throttled_scenario,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mta", description="Serve real Postfix mail exchangers on loopback until Ctrl-C."
    )
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="small")
    parser.add_argument("--latency", type=float, default=0.0, help="round-trip seconds the relay adds")
    parser.add_argument("--greylist-delay", type=int, default=GREYLIST_DELAY, help="postgrey's --delay")
    parser.add_argument("--dns-port", type=int, default=0, help="DNS port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--smtp-port", type=int, default=0, help="port of every MX address (0: any free)")
    parser.add_argument("--addresses", type=Path, help="where to write `address,status` lines")
    return parser


def write_expected(scenario: Scenario, path: Path) -> None:
    """Write one `address,status` line per listed address of `scenario`."""
    path.write_text("".join(f"{address},{status}\n" for address, status in scenario.expected.items()))


async def _serve(arguments: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    scenario = SCENARIOS[arguments.scenario]()
    addresses: Path = arguments.addresses or Path(tempfile.gettempdir()) / f"mta-farm-{scenario.name}.csv"
    write_expected(scenario, addresses)
    farm = MtaFarm(
        scenario,
        latency=arguments.latency,
        greylist_delay=arguments.greylist_delay,
        dns_port=arguments.dns_port,
        smtp_port=arguments.smtp_port,
    )
    async with farm:
        for key, value in farm.engine_environ().items():
            print(f"{key}={value}")
        print(f"# {len(scenario.expected)} addresses with expected statuses in {addresses}")
        sys.stdout.flush()
        await stop.wait()
        for address, stats in farm.session_stats().items():
            print(f"# {address}: {stats.opened} sessions, at most {stats.peak} at once")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and serve the farm until SIGINT or SIGTERM."""
    asyncio.run(_serve(_parser().parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
