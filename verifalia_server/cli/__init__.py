"""The `verifalia-server` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from verifalia_server.cli import accounts, check, server
from verifalia_server.environment import ConfigError


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the chosen subcommand and return its exit status (2: usage or
    configuration error)."""
    parser = argparse.ArgumentParser(prog="verifalia-server", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    server.register(commands)
    accounts.register(commands)
    check.register(commands)
    args = parser.parse_args(argv)
    try:
        status: int = args.handler(args)
    except ConfigError as error:
        # A malformed VERIFALIA_* variable: one line naming it, status 2 like a usage error.
        print(f"verifalia-server {args.command}: {error}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
