"""Settings of the v2 surface (paging, bearer tokens, completion callbacks), from environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from verifalia_server.api.tokens import DEFAULT_TTL_SECONDS
from verifalia_server.engine.config import ConfigError


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
        page_size = int(_number(environ, "VERIFALIA_PAGE_SIZE", defaults.page_size, minimum=1))
        max_page_size = int(_number(environ, "VERIFALIA_MAX_PAGE_SIZE", defaults.max_page_size, minimum=1))
        if page_size > max_page_size:
            raise ConfigError(
                f"VERIFALIA_PAGE_SIZE ({page_size}) exceeds VERIFALIA_MAX_PAGE_SIZE ({max_page_size})"
            )
        return cls(
            page_size=page_size,
            max_page_size=max_page_size,
            token_ttl_seconds=_number(
                environ, "VERIFALIA_TOKEN_TTL_SECONDS", defaults.token_ttl_seconds, minimum=1
            ),
            allow_private_callbacks=_flag(environ, "VERIFALIA_ALLOW_PRIVATE_CALLBACKS"),
            callback_timeout=_number(
                environ, "VERIFALIA_CALLBACK_TIMEOUT", defaults.callback_timeout, minimum=0.1
            ),
            callback_retry_delays=_delays(
                environ, "VERIFALIA_CALLBACK_RETRY_DELAYS", defaults.callback_retry_delays
            ),
            callback_poll_seconds=_number(
                environ, "VERIFALIA_CALLBACK_POLL_SECONDS", defaults.callback_poll_seconds, minimum=0.05
            ),
        )


V2_SETTINGS_KEY = web.AppKey("v2_settings", V2Settings)


def _number(environ: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _flag(environ: Mapping[str, str], name: str) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw in {"", "0", "false", "no", "off"}:
        return False
    if raw in {"1", "true", "yes", "on"}:
        return True
    raise ConfigError(f"{name} must be 0 or 1, got {raw!r}")


def _delays(environ: Mapping[str, str], name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        delays = tuple(float(part) for part in raw.split(","))
    except ValueError:
        raise ConfigError(f"{name} must be comma-separated seconds, got {raw!r}") from None
    if any(delay < 0 for delay in delays):
        raise ConfigError(f"{name} must not contain negative delays, got {raw!r}")
    return delays
