"""Application keys for the objects every API surface shares."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from verifalia_server.api.shared.limiter import ConcurrencyLimiter
from verifalia_server.api.shared.snapshots import SnapshotCache
from verifalia_server.callbacks.resolver import CallbackResolverConfig
from verifalia_server.captcha.verifier import CaptchaVerifier
from verifalia_server.engine import Engine
from verifalia_server.engine.config import EngineConfig
from verifalia_server.settings import LeadRocksSettings, ServiceSettings, V2Settings
from verifalia_server.store.database import Pool
from verifalia_server.store.events import JobEvents
from verifalia_server.store.secrets import SharedSecret

SETTINGS_KEY = web.AppKey("settings", ServiceSettings)
POOL_KEY: web.AppKey[Pool[Any]] = web.AppKey("pool")
ENGINE_CONFIG_KEY = web.AppKey("engine_config", EngineConfig)
V2_SETTINGS_KEY = web.AppKey("v2_settings", V2Settings)
LEADROCKS_SETTINGS_KEY = web.AppKey("leadrocks_settings", LeadRocksSettings)
ENGINE_KEY = web.AppKey("engine", Engine)
EVENTS_KEY = web.AppKey("events", JobEvents)
LIMITER_KEY = web.AppKey("limiter", ConcurrencyLimiter)
JWT_SECRET_KEY = web.AppKey("jwt_secret", SharedSecret)
SNAPSHOT_CACHE_KEY = web.AppKey("snapshot_cache", SnapshotCache)
CALLBACK_RESOLVER_KEY = web.AppKey("callback_resolver", CallbackResolverConfig)
CAPTCHA_VERIFIER_KEY = web.AppKey("captcha_verifier", CaptchaVerifier)
