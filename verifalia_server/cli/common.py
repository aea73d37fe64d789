"""What the database subcommands share: declaring a command, opening the database, printing the result."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeAlias

import orjson

from verifalia_server.settings import NodeSettings, ServiceSettings
from verifalia_server.store.database import Pool, create_pool, database_url
from verifalia_server.store.migrations import apply_migrations

Action: TypeAlias = "Callable[[Pool[Any], argparse.Namespace], Awaitable[dict[str, Any]]]"
Handler: TypeAlias = Callable[[argparse.Namespace], int]
Printer: TypeAlias = Callable[[dict[str, Any]], None]
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

_MAX_IDENTIFIER = 2**63 - 1


def add_group(commands: Subcommands, name: str, help: str) -> Subcommands:
    """Add a subcommand that only holds further subcommands, one of which is required."""
    parser = commands.add_parser(name, help=help)
    return parser.add_subparsers(dest=f"{name}_command", required=True)


def add_command(commands: Subcommands, name: str, help: str, handler: Handler) -> argparse.ArgumentParser:
    """Add a subcommand run by `handler`, with the `--json` flag every database subcommand has."""
    parser = commands.add_parser(name, help=help)
    parser.add_argument(
        "--json", action="store_true", help='print one JSON object, {"error": ...} on failure (status 1)'
    )
    parser.set_defaults(handler=handler)
    return parser


def non_empty_name(text: str) -> str:
    """An argparse type for names: surrounding blanks removed, an empty name refused (status 2)."""
    stripped = text.strip()
    if not stripped:
        raise argparse.ArgumentTypeError("a name must not be empty")
    return stripped


def identifier(text: str) -> int:
    """An argparse type for account and app ids: a whole number from 1 to 2^63 - 1 (PostgreSQL's bigint)."""
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= _MAX_IDENTIFIER:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an id (a whole number from 1 to {_MAX_IDENTIFIER})"
        )
    return int(text)


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def print_fields(result: dict[str, Any]) -> None:
    """Print a result as `key: value` lines (lists comma-separated, a missing value as `-`)."""
    for key, value in result.items():
        print(f"{key}: {_text(value)}")


def print_rows(rows: list[dict[str, Any]]) -> None:
    """Print one line of `key: value` pairs per row."""
    for row in rows:
        print("  ".join(f"{key}: {_text(value)}" for key, value in row.items()))


def _json_number(value: Any) -> float:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def database_handler(
    action: Action, errors: tuple[type[Exception], ...], show: Printer = print_fields
) -> Handler:
    """A handler that migrates the database, runs `action` on a pool and prints its result.

    An error among `errors` exits with status 1, printed as `error: ...` on stderr, or with `--json` as
    `{"error": ...}` on stdout. `--json` prints the result as one JSON object (decimals as numbers),
    otherwise `show` prints it as text.
    """

    def run(args: argparse.Namespace) -> int:
        settings = NodeSettings.from_env().service
        with database_url(settings.database_url, settings.data_dir) as url:
            try:
                result = asyncio.run(_with_pool(url, settings, action, args))
            except errors as error:
                if args.json:
                    print(orjson.dumps({"error": str(error)}).decode())
                else:
                    print(f"error: {error}", file=sys.stderr)
                return 1
        if args.json:
            print(orjson.dumps(result, default=_json_number).decode())
        else:
            show(result)
        return 0

    return run


async def _with_pool(
    url: str, settings: ServiceSettings, action: Action, args: argparse.Namespace
) -> dict[str, Any]:
    await apply_migrations(url, settings.migrations_dir)
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        return await action(pool, args)
    finally:
        await pool.close()
