"""`accounts list|show` and `accounts user list|rotate-token|enable`: what an operator looks up.

`show` prints an account's balance (credit packs, free credits left and when they reset), its usage by
day and its users. Tokens are never shown, except the new one `rotate-token` creates.
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
from verifalia_server.store import account_admin, accounts, credits, users
from verifalia_server.store.database import Pool
from verifalia_server.store.users import UnknownAccountError, UnknownUserError

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
        "show an account: balance, free credits, usage by day, users",
        _handler(_show_account, _print_account),
    )
    show.add_argument("--account", type=identifier, required=True, help="account id")
    show.add_argument(
        "--days", type=_days, default=_DEFAULT_DAYS, help=f"days of usage to show (default {_DEFAULT_DAYS})"
    )


def register_users(user_actions: Subcommands) -> None:
    """Add `accounts user list`, `rotate-token` and `enable`."""
    listing = add_command(
        user_actions, "list", "list an account's users", _handler(_list_users, _print_users)
    )
    listing.add_argument("--account", type=identifier, required=True, help="account id")
    listing.add_argument("--include-deleted", action="store_true", help="list deleted users too")
    rotate = add_command(
        user_actions,
        "rotate-token",
        "give a user a new auth token (printed once; the old one stops working)",
        _handler(_rotate_token),
    )
    rotate.add_argument("--user", "--sid", dest="user", required=True, help="user id (SID)")
    enable = add_command(user_actions, "enable", "activate a deactivated user again", _handler(_enable))
    enable.add_argument("--user", "--sid", dest="user", required=True, help="user id (SID)")


def _handler(action: Action, show: Printer = print_fields) -> Handler:
    return database_handler(action, (UnknownAccountError, UnknownUserError), show)


def _described_user(user: users.User) -> dict[str, Any]:
    return {
        "sid": user.id,
        "name": user.profile.display_name,
        "type": user.type.value,
        "rules": list(user.profile.rules),
        "active": user.profile.is_active,
        "deleted": user.deleted_on is not None,
        "created_on": user.created_on.isoformat(),
    }


async def _list_accounts(pool: Pool[Any], _args: argparse.Namespace) -> dict[str, Any]:
    return {
        "accounts": [
            {
                "account_id": summary.id,
                "name": summary.name,
                "credits": summary.credit_packs,
                "free_daily_credits": summary.free_daily_credits,
                "users": summary.users,
                "jobs_in_progress": summary.jobs_in_progress,
                "created_on": summary.created_on.isoformat(),
            }
            for summary in await account_admin.list_accounts(pool)
        ]
    }


async def _show_account(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    account = await accounts.get_account(pool, args.account)
    if account is None:
        raise UnknownAccountError(f"no account {args.account}")
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
        "users": [_described_user(user) for user in await users.list_users(pool, account.id)],
    }


async def _list_users(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    if await accounts.get_account(pool, args.account) is None:
        raise UnknownAccountError(f"no account {args.account}")
    listed = await users.list_users(pool, args.account, include_deleted=args.include_deleted)
    return {"account_id": args.account, "users": [_described_user(user) for user in listed]}


async def _rotate_token(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    return {"sid": args.user, "token": await users.rotate_password(pool, args.user)}


async def _enable(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    await users.set_user_active(pool, args.user, True)
    return {"sid": args.user, "active": True}


def _print_list(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"{title}: {len(rows)}")
    print_rows(rows)


def _print_accounts(result: dict[str, Any]) -> None:
    _print_list("accounts", result["accounts"])


def _print_users(result: dict[str, Any]) -> None:
    _print_list("users", result["users"])


def _print_account(result: dict[str, Any]) -> None:
    print_fields({key: value for key, value in result.items() if key not in ("usage", "users")})
    _print_list("usage", result["usage"])
    _print_list("users", result["users"])
