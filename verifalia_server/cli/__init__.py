"""The `verifalia-server` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from verifalia_server.cli import accounts, check, server


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the chosen subcommand and return its exit status."""
    parser = argparse.ArgumentParser(prog="verifalia-server", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    server.register(commands)
    accounts.register(commands)
    check.register(commands)
    args = parser.parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
