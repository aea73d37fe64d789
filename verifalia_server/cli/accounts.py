"""`accounts` subcommands: create accounts and their users, disable users, add credits.

The LeadRocks apps of an account are managed under `accounts app` (see `cli.apps`).
"""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from typing import Any

from verifalia_server.cli import account_admin, apps, browser_apps, totp
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
from verifalia_server.service.permissions import DEFAULT_RULES, UserType, canonical_rules
from verifalia_server.store import accounts, users
from verifalia_server.store.database import Pool
from verifalia_server.store.users import UnknownAccountError, UnknownUserError


def _credits(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0 or not value.is_finite():
        raise argparse.ArgumentTypeError("credits must not be negative")
    return value


def _rules(text: str) -> tuple[str, ...]:
    try:
        return canonical_rules(part.strip() for part in text.split(",") if part.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def register(commands: Subcommands) -> None:
    """Add the `accounts` subcommand tree."""
    actions = add_group(commands, "accounts", "manage accounts, their users and credits")
    create = add_command(
        actions, "create", "create an account and its administrator", _handler(_create_account)
    )
    create.add_argument("--name", type=non_empty_name, required=True, help="account name (not empty)")
    create.add_argument("--credits", type=_credits, default=Decimal(0), help="initial credit pack")
    create.add_argument("--free-daily", type=_credits, default=Decimal(0), help="free credits every 24 h")

    user_actions = add_group(actions, "user", "manage an account's users")
    user_create = add_command(
        user_actions, "create", "create a user with its own id (SID) and auth token", _handler(_create_user)
    )
    user_create.add_argument("--account", type=identifier, required=True, help="account id")
    user_create.add_argument("--name", type=non_empty_name, default="user", help="display name (not empty)")
    user_create.add_argument(
        "--type",
        type=UserType,
        choices=[UserType.ADMINISTRATOR, UserType.STANDARD],
        default=UserType.STANDARD,
        help="Administrator or Standard (default)",
    )
    user_create.add_argument(
        "--rules",
        type=_rules,
        help="comma-separated authorization rules, [-]resource[:operation[:own]]"
        f" (default: {','.join(DEFAULT_RULES[UserType.STANDARD])})",
    )
    user_disable = add_command(
        user_actions, "disable", "deactivate a user (its requests get 401)", _handler(_disable_user)
    )
    user_disable.add_argument("--user", "--sid", dest="user", required=True, help="user id (SID)")
    account_admin.register_users(user_actions)
    totp.register(user_actions)

    credit_actions = add_group(actions, "credits", "manage credits")
    add = add_command(credit_actions, "add", "add a credit pack to an account", _handler(_add_credits))
    add.add_argument("--account", type=identifier, required=True, help="account id")
    add.add_argument("--credits", type=_credits, required=True)

    account_admin.register_accounts(actions)
    apps.register(actions)
    browser_apps.register(actions)


def _handler(action: Action) -> Handler:
    return database_handler(action, (UnknownAccountError, UnknownUserError, ValueError))


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
        "type": UserType.ADMINISTRATOR.value,
    }


async def _create_user(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    rules = DEFAULT_RULES[args.type] if args.rules is None else args.rules
    token = users.new_password()
    user = await users.create_user(
        pool, args.account, args.type, users.Profile(args.name, rules=rules), token
    )
    return {
        "account_id": user.account_id,
        "sid": user.id,
        "token": token,
        "type": user.type.value,
        "rules": list(user.profile.rules),
    }


async def _disable_user(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    await users.set_user_active(pool, args.user, False)
    return {"sid": args.user, "active": False}


async def _add_credits(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    balance = await accounts.add_credits(pool, args.account, args.credits)
    return {"account_id": args.account, "credits": balance}
