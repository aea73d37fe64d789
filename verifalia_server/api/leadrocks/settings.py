"""LeadRocks API settings, read from `VERIFALIA_LEADROCKS_*` environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from verifalia_server.environment import integer, positive
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
        return cls(
            verify_timeout=positive(environ, "VERIFALIA_LEADROCKS_VERIFY_TIMEOUT", defaults.verify_timeout),
            max_concurrent_lists=integer(
                environ, "VERIFALIA_LEADROCKS_MAX_CONCURRENT_LISTS", defaults.max_concurrent_lists
            ),
            verifies_per_minute=integer(
                environ, "VERIFALIA_LEADROCKS_VERIFIES_PER_MINUTE", defaults.verifies_per_minute
            ),
            requests_per_minute=integer(
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
