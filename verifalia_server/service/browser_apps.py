"""Browser apps: the origins a key is trusted from, and the limits on what an app may submit.

A browser app with trusted origins enabled accepts requests only whose `Origin` (RFC 6454 §7) matches one of
its expressions: `*` stands for any run of characters, `?` for one, compared ignoring case with the serialized
origin `scheme://host[:port]`. Its submissions are refused with nothing stored or charged when they hold more
entries than its `max_entries_per_job` (`InvalidInput`), come without a valid CAPTCHA where it requires one
(`CaptchaRefused`), or go over one of its throttling rules (`Throttled`, with the seconds until a slot frees).
Throttling counts the app's jobs in the shared database under a lock on the app, so it holds across nodes.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from typing import Any

from verifalia_server.captcha.verifier import CaptchaVerifier
from verifalia_server.service.captcha import CaptchaPolicy
from verifalia_server.service.errors import InvalidInput, OriginNotAllowed, Throttled
from verifalia_server.service.permissions import UserType
from verifalia_server.service.submission import Submission, submit
from verifalia_server.settings import ServiceSettings
from verifalia_server.store import throttling
from verifalia_server.store.database import Connection, Pool
from verifalia_server.store.jobs import Job
from verifalia_server.store.users import Profile, ThrottlingRule, User

# The periods and scopes of throttling rules (Verifalia API v2.7 browser-app settings).
PERIODS: dict[str, dt.timedelta] = {
    "minute": dt.timedelta(minutes=1),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
}
GLOBAL_SCOPE = "global"
IP_SCOPE = "ipAddress"
SCOPES = (GLOBAL_SCOPE, IP_SCOPE)
# RFC 6454 §7.3: the origin of a privacy-sensitive context; it names no site, so no expression trusts it.
_OPAQUE_ORIGIN = "null"


def origin_pattern(expression: str) -> re.Pattern[str]:
    """The regular expression of a trusted-origin expression (`*` any run, `?` one character, any case)."""
    parts = (".*" if char == "*" else "." if char == "?" else re.escape(char) for char in expression)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def trusts_origin(profile: Profile, origin: str | None) -> bool:
    """Whether a browser app with `profile` accepts a request carrying this `Origin` header (or none)."""
    if not profile.origins_enabled:
        return True
    if origin is None or origin.strip().lower() == _OPAQUE_ORIGIN:
        return False
    return any(origin_pattern(expression).fullmatch(origin.strip()) for expression in profile.origins)


def check_origin(user: User, origin: str | None) -> None:
    """`OriginNotAllowed` when `user` is a browser app that does not trust this origin."""
    if user.type is not UserType.BROWSER_APP or trusts_origin(user.profile, origin):
        return
    if origin is None:
        raise OriginNotAllowed("This browser app accepts requests from its trusted origins only: no Origin.")
    raise OriginNotAllowed(f"The origin {origin!r} is not among the trusted origins of this browser app.")


def check_entry_count(profile: Profile, count: int) -> None:
    """`InvalidInput` when a submission of `count` entries is over the app's `max_entries_per_job`."""
    cap = profile.max_entries_per_job
    if cap is not None and count > cap:
        raise InvalidInput(f"This browser app may submit at most {cap} entries per job, not {count}.")


def _describe(rule: ThrottlingRule) -> str:
    per_ip = " from each IP address" if rule.scope == IP_SCOPE else ""
    return f"{rule.limit} job{'s' if rule.limit != 1 else ''} per {rule.period}{per_ip}"


async def check_throttling(connection: Connection, app: User, client_ip: str) -> None:
    """`Throttled` when one more job would take the app over a rule; it waits for the rule freeing last."""
    over: list[tuple[float, ThrottlingRule]] = []
    for rule in app.profile.throttling:
        wait = await throttling.seconds_until_below(
            connection,
            app.account_id,
            app.id,
            PERIODS[rule.period],
            rule.limit,
            client_ip if rule.scope == IP_SCOPE else None,
        )
        if wait is not None:
            over.append((wait, rule))
    if over:
        wait, rule = max(over, key=lambda item: item[0])
        seconds = max(1, math.ceil(wait))
        raise Throttled(
            f"This browser app may submit at most {_describe(rule)}; retry in {seconds} seconds.", seconds
        )


async def submit_job(
    pool: Pool[Any],
    settings: ServiceSettings,
    *,
    account_id: int,
    owner: str,
    client_ip: str,
    submission: Submission,
    verifier: CaptchaVerifier,
    app: User | None,
) -> Job:
    """Submit a job for any caller; when it is a browser app (`app`), its limits apply first.

    The CAPTCHA is checked before the app's submissions are locked, so a slow provider delays no other
    submission of the app; the throttling rules are checked once before it (no CAPTCHA token is spent on a
    refused submission) and again under the lock, in the transaction that stores the job.
    """
    store = functools.partial(
        submit, pool, settings, account_id=account_id, owner=owner, client_ip=client_ip, submission=submission
    )
    if app is None:
        return await store(captcha=CaptchaPolicy(verifier, required=False))
    check_entry_count(app.profile, len(submission.entries))
    if app.profile.throttling:
        async with pool.acquire() as connection:
            await check_throttling(connection, app, client_ip)
    await CaptchaPolicy(verifier, required=app.profile.captcha_required).check(submission.captcha, client_ip)
    async with pool.acquire() as connection, connection.transaction():
        await throttling.lock_submissions(connection, app.id)
        await check_throttling(connection, app, client_ip)
        return await store(connection=connection)
