"""What every LeadRocks request does first: find its app by token, then count it against the app's limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from verifalia_server.api.leadrocks.auth import authenticate
from verifalia_server.api.leadrocks.limits import admit_request
from verifalia_server.api.shared.keys import LEADROCKS_SETTINGS_KEY, POOL_KEY
from verifalia_server.settings import LeadRocksSettings, Limits
from verifalia_server.store.apps import App
from verifalia_server.store.database import Pool


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated, admitted request: its app, the app's limits and the database pool."""

    app: App
    limits: Limits
    settings: LeadRocksSettings
    pool: Pool[Any]


async def admit(request: web.Request) -> Caller:
    """Authenticate the request (error 100) and count it against its app's requests per minute (111)."""
    pool = request.app[POOL_KEY]
    settings = request.app[LEADROCKS_SETTINGS_KEY]
    app = await authenticate(request, pool)
    limits = settings.limits_for(app.limits)
    await admit_request(pool, app, limits)
    return Caller(app=app, limits=limits, settings=settings, pool=pool)
