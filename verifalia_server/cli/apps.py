"""`accounts app` subcommands: create, list, disable and enable LeadRocks apps (tokens), set limits."""

from __future__ import annotations

import argparse
from typing import Any

from verifalia_server.cli.common import (
    Action,
    Handler,
    Printer,
    Subcommands,
    add_command,
    add_group,
    database_handler,
    identifier,
    non_empty_name,
    print_fields,
    print_rows,
)
from verifalia_server.store import apps
from verifalia_server.store.database import Pool
from verifalia_server.store.users import UnknownAccountError


def _limit(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (0 for no limit)")
    return int(text)


def _limit_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-concurrent-lists", type=_limit, help="bulk lists in progress at once (0: no limit)"
    )
    parser.add_argument(
        "--verifies-per-minute", type=_limit, help="realtime verifies per minute (0: no limit)"
    )
    parser.add_argument("--requests-per-minute", type=_limit, help="requests per minute (0: no limit)")


def register(account_actions: Subcommands) -> None:
    """Add `accounts app create|list|disable|enable|limits` to the `accounts` subcommands."""
    actions = add_group(account_actions, "app", "manage LeadRocks API apps (tokens)")

    create = add_command(
        actions, "create", "create an app and print its token (shown only once)", _handler(_create)
    )
    create.add_argument("--account", type=identifier, required=True, help="account id")
    create.add_argument("--name", type=non_empty_name, required=True, help="app name (not empty)")
    _limit_flags(create)

    listing = add_command(actions, "list", "list an account's apps", _handler(_list, _print_apps))
    listing.add_argument("--account", type=identifier, required=True, help="account id")

    for name, enabled in (("disable", False), ("enable", True)):
        switch = add_command(
            actions, name, f"turn an app's token {'on' if enabled else 'off'}", _handler(_switch)
        )
        switch.add_argument("--app", type=identifier, required=True, help="app id")
        switch.set_defaults(enabled=enabled)

    limits = add_command(
        actions, "limits", "set an app's limits (omitted ones use the service default)", _handler(_set_limits)
    )
    limits.add_argument("--app", type=identifier, required=True, help="app id")
    _limit_flags(limits)


def _handler(action: Action, show: Printer = print_fields) -> Handler:
    return database_handler(action, (UnknownAccountError, apps.UnknownAppError), show)


def _print_apps(result: dict[str, Any]) -> None:
    print_rows(result["apps"])


def _limits(args: argparse.Namespace) -> apps.AppLimits:
    return apps.AppLimits(args.max_concurrent_lists, args.verifies_per_minute, args.requests_per_minute)


def _described(app: apps.App) -> dict[str, Any]:
    return {
        "app_id": app.id,
        "account_id": app.account_id,
        "name": app.name,
        "enabled": app.enabled,
        "max_concurrent_lists": app.limits.max_concurrent_lists,
        "verifies_per_minute": app.limits.verifies_per_minute,
        "requests_per_minute": app.limits.requests_per_minute,
        "created_on": app.created_on.isoformat(),
    }


async def _create(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    app, token = await apps.create_app(pool, args.account, args.name, _limits(args))
    return {**_described(app), "token": token}


async def _list(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    return {
        "account_id": args.account,
        "apps": [_described(app) for app in await apps.list_apps(pool, args.account)],
    }


async def _switch(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    return _described(await apps.set_app_enabled(pool, args.app, args.enabled))


async def _set_limits(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    return _described(await apps.set_app_limits(pool, args.app, _limits(args)))
