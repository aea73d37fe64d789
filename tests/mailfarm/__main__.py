"""Run the mail farm standalone: `python -m tests.mailfarm [--latency S] [--dns-port N] [--smtp-port N]`.

Prints the engine's environment, one `KEY=VALUE` per line, then serves until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from tests.mailfarm.farm import MailFarm


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mailfarm", description="Serve the test mail farm on loopback until Ctrl-C."
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before every SMTP reply")
    parser.add_argument("--greylist-delay", type=float, default=0.5, help="seconds a greylisted pair waits")
    parser.add_argument("--dns-port", type=int, default=0, help="DNS port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--smtp-port", type=int, default=0, help="port of every SMTP host (0: any free port)")
    return parser


async def _serve(arguments: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    farm = MailFarm(
        arguments.latency,
        greylist_delay=arguments.greylist_delay,
        dns_port=arguments.dns_port,
        smtp_port=arguments.smtp_port,
    )
    async with farm:
        for key, value in farm.engine_environ().items():
            print(f"{key}={value}")
        sys.stdout.flush()
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and serve the farm until SIGINT or SIGTERM."""
    asyncio.run(_serve(_parser().parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
