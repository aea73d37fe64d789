"""`accounts user totp enable|confirm|disable`: a user's TOTP second factor, set up by an operator.

`enable` prints a new secret and its `otpauth://` URI (for an authenticator app), pending until `confirm`
checks a first code from it; from then on a password login needs a code too. `disable` removes it.
"""

from __future__ import annotations

import argparse
from typing import Any

from verifalia_server.cli.common import Action, Handler, Subcommands, add_command, add_group, database_handler
from verifalia_server.service import totp
from verifalia_server.store.database import Pool
from verifalia_server.store.users import UnknownUserError, User, get_user


def register(user_actions: Subcommands) -> None:
    """Add `accounts user totp enable`, `confirm` and `disable`."""
    actions = add_group(user_actions, "totp", "manage a user's TOTP second factor")
    enable = add_command(
        actions,
        "enable",
        "give a user a new TOTP secret (printed once), pending until confirmed",
        _handler(_enable),
    )
    confirm = add_command(
        actions, "confirm", "check a first code and require TOTP at every password login", _handler(_confirm)
    )
    confirm.add_argument("--code", required=True, help="a current 6-digit code of the secret")
    disable = add_command(actions, "disable", "remove a user's TOTP second factor", _handler(_disable))
    for parser in (enable, confirm, disable):
        parser.add_argument("--user", "--sid", dest="user", required=True, help="user id (SID)")


def _handler(action: Action) -> Handler:
    return database_handler(action, (UnknownUserError, totp.TotpError))


async def _user(pool: Pool[Any], user_id: str) -> User:
    user = await get_user(pool, user_id)
    if user is None or user.deleted_on is not None:
        raise UnknownUserError(f"no user {user_id}")
    return user


async def _enable(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    enrolment = await totp.enable(pool, await _user(pool, args.user))
    return {
        "sid": args.user,
        "secret": enrolment.secret,
        "provisioning_uri": enrolment.provisioning_uri,
        "mfa_required": False,
    }


async def _confirm(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    await totp.confirm(pool, await _user(pool, args.user), args.code)
    return {"sid": args.user, "mfa_required": True}


async def _disable(pool: Pool[Any], args: argparse.Namespace) -> dict[str, Any]:
    await totp.disable(pool, await _user(pool, args.user))
    return {"sid": args.user, "mfa_required": False}
