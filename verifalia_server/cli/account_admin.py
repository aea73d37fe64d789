"""`accounts list|show` and `accounts subaccount list|rotate-token|enable`: what an operator looks up.

`show` prints an account's balance (credit packs, free credits left and when they reset), its usage by
day and its sub-accounts. Tokens are never shown, except the new one `rotate-token` creates.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from verifalia_server.cli.common import (
    Action,
    Handler,
    Printer,
    Subcommands,
    add_command,
    database_handler,
    identifier,
    print_fields,
    print_rows,
)
from verifalia_server.store import account_admin, accounts, credits
from verifalia_server.store.database import Pool

_DEFAULT_DAYS = 30
_MAX_DAYS = 36_600


def _days(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= _MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days from 1 to {_MAX_DAYS}")
    return int(text)


def register_accounts(actions: Subcommands) -> None:
    """Add `accounts list` and `accounts show`."""
    add_command(actions, "list", "list every account", _handler(_list_accounts, _print_accounts))
    show = add_command(
        actions,
        "show",
        "show an account: balance, free credits, usage by day, sub-accounts",
        _handler(_show_account, _print_account),
    )
    show.add_argument("--account", type=identifier, required=True, help="account id")
    show.add_argument(
        "--days", type=_days, default=_DEFAULT_DAYS, help=f"days of usage to show (default {_DEFAULT_DAYS})"
    )


def register_subaccounts(sub_actions: Subcommands) -> None:
    """Add `accounts subaccount list`, `rotate-token` and `enable`."""
    listing = add_command(
        sub_actions, "list", "list an account's sub-accounts", _handler(_list_subaccounts, _print_subaccounts)
    )
    listing.add_argument("--account", type=identifier, required=True, help="account id")
    rotate = add_command(
        sub_actions,
        "rotate-token",
        "give a sub-account a new token (printed once; the old one stops working)",
        _handler(_rotate_token),
    )
    rotate.add_argument("--sid", required=True)
    enable = add_command(sub_actions, "enable", "enable a disabled sub-account again", _handler(_enable))
    enable.add_argument("--sid", required=True)


def _handler(action: Action, show: Printer = print_fields) -> Handler:
    return database_handler(action, (accounts.UnknownAccountError,), show)


def _described_subaccount(sub: account_admin.SubAccountSummary) -> dict[str, Any]:
    return {
        "sid": sub.sid,
        "name": sub.name,
        "permissions": list(sub.permissions),
        "disabled": sub.disabled,
        "created_on": sub.created_on.isoformat(),
    }


async def _list_accounts(pool: Pool[Any], _args: argparse.Namespace) -> dict[str, Any]:
    return {
        "accounts": [
            {
                "account_id": summary.id,
                "name": summary.name,
                "credits": summary.credit_packs,
                "free_daily_credits": summary.free_daily_credits,
                "sub_accounts": summary.sub_accounts,
                "jobs_in_progress": summary.jobs_in_progress,
                "created_on": summary.created_on.isoformat(),
            }
            for summary in await account_admin.list_accounts(pool)
        ]
    }


async def _show_account(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    account = await accounts.get_account(pool, args.account)
    if account is None:
        raise accounts.UnknownAccountError(f"no account {args.account}")
    balance = await credits.get_balance(pool, account.id)
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=args.days - 1)
    usage = await credits.daily_usage(pool, account.id, since=since)
    reset_in = balance.free_credits_reset_in
    return {
        "account_id": account.id,
        "name": account.name,
        "credits": balance.credit_packs,
        "free_daily_credits": account.free_daily_credits,
        "free_credits": balance.free_credits,
        "free_credits_reset_in_seconds": None if reset_in is None else round(reset_in.total_seconds()),
        "usage": [
            {"date": day.day.isoformat(), "credits": day.credit_packs, "free_credits": day.free_credits}
            for day in usage
        ],
        "sub_accounts": [
            _described_subaccount(sub) for sub in await account_admin.list_subaccounts(pool, account.id)
        ],
    }


async def _list_subaccounts(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    subs = await account_admin.list_subaccounts(pool, args.account)
    return {"account_id": args.account, "sub_accounts": [_described_subaccount(sub) for sub in subs]}


async def _rotate_token(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    return {"sid": args.sid, "token": await account_admin.rotate_token(pool, args.sid)}


async def _enable(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    await accounts.set_subaccount_disabled(pool, args.sid, False)
    return {"sid": args.sid, "disabled": False}


def _print_list(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"{title}: {len(rows)}")
    print_rows(rows)


def _print_accounts(result: dict[str, Any]) -> None:
    _print_list("accounts", result["accounts"])


def _print_subaccounts(result: dict[str, Any]) -> None:
    _print_list("sub_accounts", result["sub_accounts"])


def _print_account(result: dict[str, Any]) -> None:
    print_fields({key: value for key, value in result.items() if key not in ("usage", "sub_accounts")})
    _print_list("usage", result["usage"])
    _print_list("sub_accounts", result["sub_accounts"])
