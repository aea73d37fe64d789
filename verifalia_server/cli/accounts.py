"""`accounts` subcommands: create accounts and sub-accounts, disable sub-accounts, add credits.

The LeadRocks apps of an account are managed under `accounts app` (see `cli.apps`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from verifalia_server.cli import apps
from verifalia_server.settings import ServiceSettings
from verifalia_server.store import accounts
from verifalia_server.store.database import Pool, create_pool, database_url
from verifalia_server.store.migrations import apply_migrations

Action = Callable[["Pool[Any]", argparse.Namespace], Awaitable[dict[str, Any]]]


def _credits(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0 or not value.is_finite():
        raise argparse.ArgumentTypeError("credits must not be negative")
    return value


def _permissions(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `accounts` subcommand tree."""
    parser = commands.add_parser("accounts", help="manage accounts, sub-accounts and credits")
    actions = parser.add_subparsers(dest="accounts_command", required=True)

    create = actions.add_parser("create", help="create an account and its first sub-account")
    create.add_argument("--name", required=True)
    create.add_argument("--credits", type=_credits, default=Decimal(0), help="initial credit pack")
    create.add_argument("--free-daily", type=_credits, default=Decimal(0), help="free credits every 24 h")
    _json_flag(create)
    create.set_defaults(handler=_runner(_create_account))

    subaccount = actions.add_parser("subaccount", help="create or disable sub-accounts")
    sub_actions = subaccount.add_subparsers(dest="subaccount_command", required=True)
    sub_create = sub_actions.add_parser("create", help="create a sub-account with its own SID and token")
    sub_create.add_argument("--account", type=int, required=True, help="account id")
    sub_create.add_argument("--name", default="sub-account")
    sub_create.add_argument(
        "--permissions",
        type=_permissions,
        default=accounts.PERMISSIONS,
        help=f"comma-separated, among {','.join(accounts.PERMISSIONS)} (default: all)",
    )
    _json_flag(sub_create)
    sub_create.set_defaults(handler=_runner(_create_subaccount))
    sub_disable = sub_actions.add_parser("disable", help="disable a sub-account (its requests get 401)")
    sub_disable.add_argument("--sid", required=True)
    _json_flag(sub_disable)
    sub_disable.set_defaults(handler=_runner(_disable_subaccount))

    credits = actions.add_parser("credits", help="manage credits")
    credit_actions = credits.add_subparsers(dest="credits_command", required=True)
    add = credit_actions.add_parser("add", help="add a credit pack to an account")
    add.add_argument("--account", type=int, required=True, help="account id")
    add.add_argument("--credits", type=_credits, required=True)
    _json_flag(add)
    add.set_defaults(handler=_runner(_add_credits))

    apps.register(actions)


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _runner(action: Action) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        settings = ServiceSettings.from_env(os.environ)
        with database_url(settings.database_url, settings.data_dir) as url:
            try:
                result = asyncio.run(_with_pool(url, settings, action, args))
            except (accounts.UnknownAccountError, ValueError) as error:
                print(f"error: {error}", file=sys.stderr)
                return 1
        if args.json:
            print(orjson.dumps(result, default=str).decode())
        else:
            for key, value in result.items():
                print(f"{key}: {','.join(value) if isinstance(value, list) else value}")
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


async def _create_account(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    account, credentials = await accounts.create_account(
        pool, args.name, credits=args.credits, free_daily_credits=args.free_daily
    )
    return {
        "account_id": account.id,
        "name": account.name,
        "credits": str(account.credit_packs),
        "free_daily_credits": str(account.free_daily_credits),
        "sid": credentials.sid,
        "token": credentials.token,
        "permissions": list(credentials.permissions),
    }


async def _create_subaccount(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    credentials = await accounts.create_subaccount(pool, args.account, args.name, args.permissions)
    return {
        "account_id": credentials.account_id,
        "sid": credentials.sid,
        "token": credentials.token,
        "permissions": list(credentials.permissions),
    }


async def _disable_subaccount(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    await accounts.set_subaccount_disabled(pool, args.sid, True)
    return {"sid": args.sid, "disabled": True}


async def _add_credits(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    balance = await accounts.add_credits(pool, args.account, args.credits)
    return {"account_id": args.account, "credits": str(balance)}
