"""Settings of the v2 surface (paging, bearer tokens, completion callbacks), from environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from verifalia_server.api.tokens import DEFAULT_TTL_SECONDS
from verifalia_server.environment import ConfigError, flag, integer, number, numbers


@dataclass(frozen=True, slots=True)
class V2Settings:
    """Every knob of the v2 surface."""

    page_size: int = 1000
    max_page_size: int = 10_000
    token_ttl_seconds: float = DEFAULT_TTL_SECONDS
    allow_private_callbacks: bool = False
    callback_timeout: float = 10.0
    callback_retry_delays: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)
    callback_poll_seconds: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> V2Settings:
        """Build the settings from an environment mapping, defaults filling the gaps."""
        defaults = cls()
        page_size = integer(environ, "VERIFALIA_PAGE_SIZE", defaults.page_size, minimum=1)
        max_page_size = integer(environ, "VERIFALIA_MAX_PAGE_SIZE", defaults.max_page_size, minimum=1)
        if page_size > max_page_size:
            raise ConfigError(
                f"VERIFALIA_PAGE_SIZE ({page_size}) exceeds VERIFALIA_MAX_PAGE_SIZE ({max_page_size})"
            )
        return cls(
            page_size=page_size,
            max_page_size=max_page_size,
            token_ttl_seconds=number(
                environ, "VERIFALIA_TOKEN_TTL_SECONDS", defaults.token_ttl_seconds, minimum=1
            ),
            allow_private_callbacks=flag(
                environ, "VERIFALIA_ALLOW_PRIVATE_CALLBACKS", defaults.allow_private_callbacks
            ),
            callback_timeout=number(
                environ, "VERIFALIA_CALLBACK_TIMEOUT", defaults.callback_timeout, minimum=0.1
            ),
            callback_retry_delays=numbers(
                environ, "VERIFALIA_CALLBACK_RETRY_DELAYS", defaults.callback_retry_delays
            ),
            callback_poll_seconds=number(
                environ, "VERIFALIA_CALLBACK_POLL_SECONDS", defaults.callback_poll_seconds, minimum=0.05
            ),
        )


V2_SETTINGS_KEY = web.AppKey("v2_settings", V2Settings)
