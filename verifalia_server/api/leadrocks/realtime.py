"""`GET /v1/getcredits` and `POST /v1/verify`: the account's spendable credits and the realtime verify.

The realtime verify runs the engine's full retry schedule within VERIFALIA_LEADROCKS_VERIFY_TIMEOUT
seconds. When that budget runs out the answer is still a success carrying the best verdict reached so
far: `unknown` and not safe to send (for instance a greylisting server that has not yet accepted the
address), unless the address was already found invalid.

A verify is charged only once the engine has its verdict, so one that fails or is interrupted costs nothing.
The balance is checked before verifying too; when concurrent verifies spent it meanwhile, the charge is
refused and the verdict withheld (error 103).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from verifalia_server.api.keys import ENGINE_KEY, SETTINGS_KEY
from verifalia_server.api.leadrocks.access import admit
from verifalia_server.api.leadrocks.errors import LeadRocksError
from verifalia_server.api.leadrocks.limits import admit_verify
from verifalia_server.api.leadrocks.responses import json_number, leadrocks_handler, success
from verifalia_server.api.leadrocks.results import LeadRocksVerdict
from verifalia_server.api.leadrocks_codes import ErrorCode
from verifalia_server.api.models import VerifyRequest
from verifalia_server.engine.verdict import Quality
from verifalia_server.store.credits import Balance, InsufficientCredits, charge, get_balance
from verifalia_server.store.database import Pool

REALTIME_QUALITY = Quality.STANDARD


def _spendable(balance: Balance) -> Decimal:
    """Credit packs plus what is left of today's free credits."""
    return balance.credit_packs + max(balance.free_credits or Decimal(0), Decimal(0))


@leadrocks_handler
async def get_credits(request: web.Request) -> web.Response:
    """The account's spendable credits: credit packs plus what is left of today's free credits."""
    caller = await admit(request)
    balance = await get_balance(caller.pool, caller.app.account_id)
    return success({"credits": json_number(_spendable(balance))})


def _email_of(body: bytes) -> str:
    try:
        return VerifyRequest.model_validate_json(body).email
    except ValidationError:
        raise LeadRocksError(ErrorCode.INVALID_JSON) from None


async def _charge(pool: Pool[Any], account_id: int, cost: Decimal) -> None:
    async with pool.acquire() as connection, connection.transaction():
        try:
            await charge(connection, account_id, cost)
        except InsufficientCredits:
            raise LeadRocksError(ErrorCode.NO_CREDITS) from None


@leadrocks_handler
async def verify(request: web.Request) -> web.Response:
    """Verify one address through the engine, charging it like one Standard entry once it has a verdict."""
    caller = await admit(request)
    email = _email_of(await request.read())
    await admit_verify(caller.pool, caller.app, caller.limits)
    cost = Decimal(str(request.app[SETTINGS_KEY].credits_per_entry[REALTIME_QUALITY]))
    if _spendable(await get_balance(caller.pool, caller.app.account_id)) < cost:
        raise LeadRocksError(ErrorCode.NO_CREDITS)
    engine = request.app[ENGINE_KEY]
    verdict = await engine.verify(email, REALTIME_QUALITY, timeout=caller.settings.verify_timeout)
    await _charge(caller.pool, caller.app.account_id, cost)
    result = LeadRocksVerdict.of(
        verdict.status, disposable=verdict.is_disposable, free=verdict.is_free, role=verdict.is_role
    )
    status, safe_to_send, disposable, free_account, role_account = result.columns()
    return success(
        {
            "email_address": verdict.email_address or email,
            "status": status,
            "safe_to_send": safe_to_send,
            "disposable": disposable,
            "free_account": free_account,
            "role_account": role_account,
        }
    )
