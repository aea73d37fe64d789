"""`accounts browser-app` subcommands: create, list, show, update and delete browser apps.

A browser app's key is its id, sent as the HTTP Basic user name with an empty password. Throttling rules
are written `LIMIT/PERIOD[/ip]`: at most LIMIT jobs per minute, hour or day, from all clients together or,
with `/ip`, from each client IP address. `update` changes only what it is given; `--origin` and `--throttle`
replace the whole list.
"""

from __future__ import annotations

import argparse
import dataclasses
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
from verifalia_server.service.browser_apps import GLOBAL_SCOPE, IP_SCOPE, PERIODS
from verifalia_server.service.permissions import DEFAULT_RULES, UserType
from verifalia_server.store import users
from verifalia_server.store.database import Pool
from verifalia_server.store.users import (
    Profile,
    StaleVersionError,
    ThrottlingRule,
    UnknownAccountError,
    UnknownUserError,
    User,
)

_IP_SUFFIX = "ip"


def throttle_rule(text: str) -> ThrottlingRule:
    """An argparse type for `LIMIT/PERIOD[/ip]`, such as `10/minute` or `100/day/ip`."""
    parts = text.strip().split("/")
    period = parts[1].strip().lower() if len(parts) > 1 else ""
    per_ip = len(parts) == 3 and parts[2].strip().lower() == _IP_SUFFIX
    if len(parts) not in (2, 3) or (len(parts) == 3 and not per_ip) or period not in PERIODS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not LIMIT/PERIOD[/ip] with PERIOD one of {', '.join(PERIODS)}"
        )
    limit = parts[0].strip()
    if not limit.isascii() or not limit.isdigit() or int(limit) < 1:
        raise argparse.ArgumentTypeError(f"the limit of {text!r} is not a whole number of at least 1")
    return ThrottlingRule(int(limit), period, IP_SCOPE if per_ip else GLOBAL_SCOPE)


def throttle_text(rule: ThrottlingRule) -> str:
    """A throttling rule as the command line writes it."""
    return f"{rule.limit}/{rule.period}" + (f"/{_IP_SUFFIX}" if rule.scope == IP_SCOPE else "")


def _max_entries(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (0 for no limit)")
    return int(text)


def _setting_flags(parser: argparse.ArgumentParser) -> None:
    origins = parser.add_mutually_exclusive_group()
    origins.add_argument(
        "--origin",
        dest="origins",
        action="append",
        help="trusted origin, such as https://*.example.com (repeatable; * any run, ? one character)",
    )
    origins.add_argument(
        "--any-origin", dest="origins", action="store_const", const=[], help="trust every origin"
    )
    parser.add_argument(
        "--captcha", action=argparse.BooleanOptionalAction, help="require a CAPTCHA with each submission"
    )
    parser.add_argument(
        "--max-entries", type=_max_entries, help="entries allowed per job (0: no limit of the app's own)"
    )
    throttles = parser.add_mutually_exclusive_group()
    throttles.add_argument(
        "--throttle",
        dest="throttling",
        type=throttle_rule,
        action="append",
        help="LIMIT/PERIOD[/ip]: at most LIMIT jobs per minute, hour or day (per client IP: /ip); repeatable",
    )
    throttles.add_argument(
        "--no-throttle",
        dest="throttling",
        action="store_const",
        const=[],
        help="remove every throttling rule",
    )
    active = parser.add_mutually_exclusive_group()
    active.add_argument("--enable", dest="active", action="store_true", default=None, help="accept the key")
    active.add_argument("--disable", dest="active", action="store_false", help="refuse the key (401)")


def register(account_actions: Subcommands) -> None:
    """Add `accounts browser-app create|list|show|update|delete` to the `accounts` subcommands."""
    actions = add_group(account_actions, "browser-app", "manage browser apps (keys used from web pages)")

    create = add_command(actions, "create", "create a browser app and print its key", _handler(_create))
    create.add_argument("--account", type=identifier, required=True, help="account id")
    create.add_argument("--name", type=non_empty_name, required=True, help="display name (not empty)")
    _setting_flags(create)

    listing = add_command(actions, "list", "list an account's browser apps", _handler(_list, _print_apps))
    listing.add_argument("--account", type=identifier, required=True, help="account id")

    show = add_command(actions, "show", "show a browser app's settings", _handler(_show))
    show.add_argument("--app", required=True, help="browser app key")

    update = add_command(actions, "update", "change a browser app's settings", _handler(_update))
    update.add_argument("--app", required=True, help="browser app key")
    update.add_argument("--name", type=non_empty_name, help="display name (not empty)")
    _setting_flags(update)

    delete = add_command(actions, "delete", "delete a browser app (its key stops working)", _handler(_delete))
    delete.add_argument("--app", required=True, help="browser app key")


def _handler(action: Action, show: Printer = print_fields) -> Handler:
    return database_handler(
        action, (UnknownAccountError, UnknownUserError, StaleVersionError, ValueError), show
    )


def _print_apps(result: dict[str, Any]) -> None:
    print_rows(result["browser_apps"])


def _describe(app: User) -> dict[str, Any]:
    profile = app.profile
    return {
        "key": app.id,
        "account_id": app.account_id,
        "name": profile.display_name,
        "active": profile.is_active,
        "origins_enabled": profile.origins_enabled,
        "origins": list(profile.origins),
        "captcha_required": profile.captcha_required,
        "max_entries_per_job": profile.max_entries_per_job,
        "throttling": [throttle_text(rule) for rule in profile.throttling],
    }


def _changed(profile: Profile, args: argparse.Namespace) -> Profile:
    """The profile with the settings given on the command line."""
    changes: dict[str, Any] = {}
    if getattr(args, "name", None) is not None:
        changes["display_name"] = args.name
    if args.origins is not None:
        changes.update(origins_enabled=bool(args.origins), origins=tuple(args.origins))
    if args.captcha is not None:
        changes["captcha_required"] = args.captcha
    if args.max_entries is not None:
        changes["max_entries_per_job"] = args.max_entries or None
    if args.throttling is not None:
        changes["throttling"] = tuple(args.throttling)
    if args.active is not None:
        changes["is_active"] = args.active
    return dataclasses.replace(profile, **changes)


async def _browser_app(pool: Pool[Any], key: str) -> User:
    app = await users.get_user(pool, key)
    if app is None or app.type is not UserType.BROWSER_APP or app.deleted_on is not None:
        raise UnknownUserError(f"no browser app {key}")
    return app


async def _create(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    base = Profile(args.name, rules=DEFAULT_RULES[UserType.BROWSER_APP], password_enabled=False)
    app = await users.create_user(pool, args.account, UserType.BROWSER_APP, _changed(base, args), None)
    return _describe(app)


async def _list(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    found = await users.list_users(pool, args.account, types=(UserType.BROWSER_APP,))
    return {"browser_apps": [_describe(app) for app in found]}


async def _show(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    return _describe(await _browser_app(pool, args.app))


async def _update(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    app = await _browser_app(pool, args.app)
    updated = await users.update_user(pool, app.id, _changed(app.profile, args), expected_version=app.version)
    return _describe(updated)


async def _delete(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    app = await _browser_app(pool, args.app)
    await users.delete_user(pool, app.id)
    return {"key": app.id, "deleted": True}
