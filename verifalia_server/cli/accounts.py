"""`accounts` subcommands: create accounts and sub-accounts, disable sub-accounts, add credits.

The LeadRocks apps of an account are managed under `accounts app` (see `cli.apps`).
"""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from typing import Any

from verifalia_server.cli import account_admin, apps
from verifalia_server.cli.common import (
    Action,
    Handler,
    Subcommands,
    add_command,
    add_group,
    database_handler,
    identifier,
    non_empty_name,
)
from verifalia_server.store import accounts
from verifalia_server.store.database import Pool


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


def register(commands: Subcommands) -> None:
    """Add the `accounts` subcommand tree."""
    actions = add_group(commands, "accounts", "manage accounts, sub-accounts and credits")

    create = add_command(
        actions, "create", "create an account and its first sub-account", _handler(_create_account)
    )
    create.add_argument("--name", type=non_empty_name, required=True, help="account name (not empty)")
    create.add_argument("--credits", type=_credits, default=Decimal(0), help="initial credit pack")
    create.add_argument("--free-daily", type=_credits, default=Decimal(0), help="free credits every 24 h")

    sub_actions = add_group(actions, "subaccount", "manage sub-accounts")
    sub_create = add_command(
        sub_actions, "create", "create a sub-account with its own SID and token", _handler(_create_subaccount)
    )
    sub_create.add_argument("--account", type=identifier, required=True, help="account id")
    sub_create.add_argument(
        "--name", type=non_empty_name, default="sub-account", help="sub-account name (not empty)"
    )
    sub_create.add_argument(
        "--permissions",
        type=_permissions,
        default=accounts.PERMISSIONS,
        help=f"comma-separated, among {','.join(accounts.PERMISSIONS)} (default: all)",
    )
    sub_disable = add_command(
        sub_actions, "disable", "disable a sub-account (its requests get 401)", _handler(_disable_subaccount)
    )
    sub_disable.add_argument("--sid", required=True)
    account_admin.register_subaccounts(sub_actions)

    credit_actions = add_group(actions, "credits", "manage credits")
    add = add_command(credit_actions, "add", "add a credit pack to an account", _handler(_add_credits))
    add.add_argument("--account", type=identifier, required=True, help="account id")
    add.add_argument("--credits", type=_credits, required=True)

    account_admin.register_accounts(actions)
    apps.register(actions)


def _handler(action: Action) -> Handler:
    return database_handler(action, (accounts.UnknownAccountError, ValueError))


async def _create_account(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    account, credentials = await accounts.create_account(
        pool, args.name, credits=args.credits, free_daily_credits=args.free_daily
    )
    return {
        "account_id": account.id,
        "name": account.name,
        "credits": account.credit_packs,
        "free_daily_credits": account.free_daily_credits,
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
    return {"account_id": args.account, "credits": balance}
