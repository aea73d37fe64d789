"""`accounts app` subcommands: create, list, disable and enable LeadRocks apps (tokens), set limits."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

import orjson

from verifalia_server.settings import ServiceSettings
from verifalia_server.store import apps
from verifalia_server.store.accounts import UnknownAccountError
from verifalia_server.store.database import Pool, create_pool, database_url
from verifalia_server.store.migrations import apply_migrations

Action: TypeAlias = "Callable[[Pool[Any], argparse.Namespace], Awaitable[dict[str, Any]]]"


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
    parser.add_argument("--json", action="store_true", help="print JSON")


def register(account_actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `accounts app create|list|disable|enable|limits` to the `accounts` subcommands."""
    parser = account_actions.add_parser("app", help="manage LeadRocks API apps (tokens)")
    actions = parser.add_subparsers(dest="app_command", required=True)

    create = actions.add_parser("create", help="create an app and print its token (shown only once)")
    create.add_argument("--account", type=int, required=True, help="account id")
    create.add_argument("--name", required=True)
    _limit_flags(create)
    create.set_defaults(handler=_runner(_create))

    listing = actions.add_parser("list", help="list an account's apps")
    listing.add_argument("--account", type=int, required=True, help="account id")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_runner(_list))

    for name, enabled in (("disable", False), ("enable", True)):
        switch = actions.add_parser(name, help=f"turn an app's token {'on' if enabled else 'off'}")
        switch.add_argument("--app", type=int, required=True, help="app id")
        switch.add_argument("--json", action="store_true", help="print JSON")
        switch.set_defaults(handler=_runner(_switch), enabled=enabled)

    limits = actions.add_parser("limits", help="set an app's limits (omitted ones use the service default)")
    limits.add_argument("--app", type=int, required=True, help="app id")
    _limit_flags(limits)
    limits.set_defaults(handler=_runner(_set_limits))


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


def _print(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(orjson.dumps(result).decode())
        return
    if "apps" not in result:
        for key, value in result.items():
            print(f"{key}: {'-' if value is None else value}")
        return
    for item in result["apps"]:
        print("  ".join(f"{key}: {'-' if value is None else value}" for key, value in item.items()))


def _runner(action: Action) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        settings = ServiceSettings.from_env(os.environ)
        with database_url(settings.database_url, settings.data_dir) as url:
            try:
                result = asyncio.run(_with_pool(url, settings, action, args))
            except (UnknownAccountError, apps.UnknownAppError) as error:
                print(f"error: {error}", file=sys.stderr)
                return 1
        _print(result, args.json)
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
