"""Application keys for the objects every API surface shares."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from verifalia_server.api.limiter import ConcurrencyLimiter
from verifalia_server.api.snapshots import SnapshotCache
from verifalia_server.engine import Engine
from verifalia_server.engine.config import EngineConfig
from verifalia_server.settings import ServiceSettings
from verifalia_server.store.database import Pool
from verifalia_server.store.events import JobEvents
from verifalia_server.store.secrets import SharedSecret

SETTINGS_KEY = web.AppKey("settings", ServiceSettings)
POOL_KEY: web.AppKey[Pool[Any]] = web.AppKey("pool")
ENGINE_CONFIG_KEY = web.AppKey("engine_config", EngineConfig)
ENGINE_KEY = web.AppKey("engine", Engine)
EVENTS_KEY = web.AppKey("events", JobEvents)
LIMITER_KEY = web.AppKey("limiter", ConcurrencyLimiter)
JWT_SECRET_KEY = web.AppKey("jwt_secret", SharedSecret)
SNAPSHOT_CACHE_KEY = web.AppKey("snapshot_cache", SnapshotCache)
