"""LeadRocks API settings, read from `VERIFALIA_LEADROCKS_*` environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from verifalia_server.engine.config import ConfigError
from verifalia_server.store.apps import AppLimits


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits that apply to one app (0 means no limit)."""

    max_concurrent_lists: int
    verifies_per_minute: int
    requests_per_minute: int


@dataclass(frozen=True, slots=True)
class LeadRocksSettings:
    """Realtime verify time budget and the default per-app limits (0 means no limit)."""

    verify_timeout: float = 30.0
    max_concurrent_lists: int = 5
    verifies_per_minute: int = 60
    requests_per_minute: int = 600

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LeadRocksSettings:
        """Build the settings from an environment mapping, defaults filling the gaps."""
        defaults = cls()
        timeout = environ.get("VERIFALIA_LEADROCKS_VERIFY_TIMEOUT", "").strip()
        try:
            verify_timeout = float(timeout) if timeout else defaults.verify_timeout
        except ValueError:
            raise ConfigError(
                f"VERIFALIA_LEADROCKS_VERIFY_TIMEOUT must be a number, got {timeout!r}"
            ) from None
        if verify_timeout <= 0:
            raise ConfigError(f"VERIFALIA_LEADROCKS_VERIFY_TIMEOUT must be positive, got {timeout!r}")
        return cls(
            verify_timeout=verify_timeout,
            max_concurrent_lists=_count(
                environ, "VERIFALIA_LEADROCKS_MAX_CONCURRENT_LISTS", defaults.max_concurrent_lists
            ),
            verifies_per_minute=_count(
                environ, "VERIFALIA_LEADROCKS_VERIFIES_PER_MINUTE", defaults.verifies_per_minute
            ),
            requests_per_minute=_count(
                environ, "VERIFALIA_LEADROCKS_REQUESTS_PER_MINUTE", defaults.requests_per_minute
            ),
        )

    def limits_for(self, overrides: AppLimits) -> Limits:
        """An app's effective limits: its own where set, these defaults elsewhere."""
        return Limits(
            max_concurrent_lists=_first(overrides.max_concurrent_lists, self.max_concurrent_lists),
            verifies_per_minute=_first(overrides.verifies_per_minute, self.verifies_per_minute),
            requests_per_minute=_first(overrides.requests_per_minute, self.requests_per_minute),
        )


def _first(value: int | None, default: int) -> int:
    return default if value is None else value


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number (0 for no limit), got {raw!r}")
    return int(raw)
