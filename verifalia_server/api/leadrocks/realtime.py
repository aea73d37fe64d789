"""`GET /v1/getcredits` and `POST /v1/verify`: the account's spendable credits and the realtime verify.

The realtime verify runs the engine's full retry schedule within VERIFALIA_LEADROCKS_VERIFY_TIMEOUT
seconds. When that budget runs out the answer is still a success carrying the best verdict reached so
far: `unknown` and not safe to send (for instance a greylisting server that has not yet accepted the
address), unless the address was already found invalid.

A verify is priced and charged by `service.realtime`: only once the engine has its verdict, so one that
fails or is interrupted costs nothing; without credits it answers error 103.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from verifalia_server.api.leadrocks.access import admit
from verifalia_server.api.leadrocks.codes import ErrorCode
from verifalia_server.api.leadrocks.errors import LeadRocksError
from verifalia_server.api.leadrocks.limits import admit_verify
from verifalia_server.api.leadrocks.responses import json_number, leadrocks_handler, success
from verifalia_server.api.leadrocks.results import LeadRocksVerdict
from verifalia_server.api.shared.keys import ENGINE_KEY, POOL_KEY, SETTINGS_KEY
from verifalia_server.api.shared.models import VerifyRequest
from verifalia_server.engine.verdict import Quality
from verifalia_server.service.pricing import spendable
from verifalia_server.service.realtime import verify_now
from verifalia_server.store.credits import get_balance

REALTIME_QUALITY = Quality.STANDARD


@leadrocks_handler
async def get_credits(request: web.Request) -> web.Response:
    """The account's spendable credits: credit packs plus what is left of today's free credits."""
    caller = await admit(request)
    balance = await get_balance(caller.pool, caller.app.account_id)
    return success({"credits": json_number(spendable(balance))})


def _email_of(body: bytes) -> str:
    try:
        return VerifyRequest.model_validate_json(body).email
    except ValidationError:
        raise LeadRocksError(ErrorCode.INVALID_JSON) from None


@leadrocks_handler
async def verify(request: web.Request) -> web.Response:
    """Verify one address through the engine, charging it like one Standard entry once it has a verdict."""
    caller = await admit(request)
    email = _email_of(await request.read())
    await admit_verify(caller.pool, caller.app, caller.limits)
    verdict = await verify_now(
        request.app[POOL_KEY],
        request.app[ENGINE_KEY],
        request.app[SETTINGS_KEY],
        account_id=caller.app.account_id,
        address=email,
        quality=REALTIME_QUALITY,
        budget=caller.settings.verify_timeout,
    )
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
