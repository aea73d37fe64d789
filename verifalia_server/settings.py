"""The node's configuration, read once from the environment into one typed object with a section per part.

`NodeSettings.from_env` reads every section: `service` (database, HTTP, limits, credits, scheduler), `engine`
(the engine's own `EngineConfig`), `v2` (paging, bearer tokens, completion callbacks), `leadrocks` (realtime
budget and default per-app limits) and `callback_dns_servers`. Each section can also be read alone with its
own `from_env`. Values are parsed by `environment`'s readers, whose errors name the variable.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from verifalia_server.engine.config import EngineConfig
from verifalia_server.engine.verdict import Quality
from verifalia_server.environment import ConfigError, flag, integer, networks, number, numbers, positive
from verifalia_server.environment import IPNetwork as IPNetwork
from verifalia_server.store.apps import AppLimits

_MIB = 1024 * 1024
# The official JavaScript SDK never refreshes a token, so tokens outlive any client session by default.
DEFAULT_TOKEN_TTL_SECONDS = 30 * 86_400
Servers = tuple[tuple[str, int], ...]
_DNS_PORT = 53
_CHECKOUT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Every knob of the HTTP service, the store and the scheduler."""

    database_url: str | None = None
    data_dir: Path = _CHECKOUT / "var"
    migrations_dir: Path = _CHECKOUT / "migrations"
    node_id: str = "api-1"
    host: str = "127.0.0.1"
    port: int = 8081
    pool_min_size: int = 2
    pool_max_size: int = 10
    db_statement_timeout: float = 30.0
    db_acquire_timeout: float = 5.0
    max_concurrent_requests_per_ip: int = 5
    trusted_proxies: tuple[IPNetwork, ...] = ()
    max_body_bytes: int = 64 * _MIB
    snapshot_cache_bytes: int = 64 * _MIB
    max_entries_per_job: int = 1_000_000
    max_entry_length: int = 1024
    retention_days: float = 30.0
    jwt_secret: str | None = None
    credits_per_entry: Mapping[Quality, float] = field(
        default_factory=lambda: {Quality.STANDARD: 1.0, Quality.HIGH: 2.0, Quality.EXTREME: 4.0}
    )
    v1_submit_wait: float = 0.5
    scheduler_enabled: bool = True
    lease_seconds: float = 120.0
    batch_size: int = 500
    batches_in_flight: int = 4
    poll_seconds: float = 1.0
    sweep_seconds: float = 60.0
    metrics_allowed: tuple[IPNetwork, ...] = ()
    access_log: bool = True

    @property
    def retention_seconds(self) -> float:
        """The default retention of completed jobs, in seconds."""
        return self.retention_days * 86_400.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ServiceSettings:
        """Build the settings from an environment mapping, defaults filling the gaps."""
        defaults = cls()
        credits = dict(defaults.credits_per_entry)
        for quality in Quality:
            credits[quality] = number(environ, f"VERIFALIA_CREDITS_{quality.name}", credits[quality])
        # a relative directory is taken from where the command starts, so every later use agrees on it
        data_dir = Path(environ.get("VERIFALIA_DATA_DIR", "") or defaults.data_dir).absolute()
        migrations_dir = Path(environ.get("VERIFALIA_MIGRATIONS_DIR", "") or defaults.migrations_dir)
        return cls(
            database_url=environ.get("DATABASE_URL") or None,
            data_dir=data_dir,
            migrations_dir=migrations_dir,
            node_id=environ.get("VERIFALIA_NODE_ID", "") or defaults.node_id,
            host=environ.get("VERIFALIA_HOST", "") or defaults.host,
            port=integer(environ, "VERIFALIA_PORT", defaults.port),
            pool_min_size=integer(environ, "VERIFALIA_POOL_MIN_SIZE", defaults.pool_min_size),
            pool_max_size=integer(environ, "VERIFALIA_POOL_MAX_SIZE", defaults.pool_max_size),
            db_statement_timeout=positive(
                environ, "VERIFALIA_DB_STATEMENT_TIMEOUT", defaults.db_statement_timeout
            ),
            db_acquire_timeout=positive(environ, "VERIFALIA_DB_ACQUIRE_TIMEOUT", defaults.db_acquire_timeout),
            max_concurrent_requests_per_ip=integer(
                environ, "VERIFALIA_MAX_CONCURRENT_REQUESTS_PER_IP", defaults.max_concurrent_requests_per_ip
            ),
            trusted_proxies=networks(environ, "VERIFALIA_TRUSTED_PROXIES"),
            max_body_bytes=integer(environ, "VERIFALIA_MAX_BODY_BYTES", defaults.max_body_bytes),
            snapshot_cache_bytes=integer(
                environ, "VERIFALIA_SNAPSHOT_CACHE_BYTES", defaults.snapshot_cache_bytes
            ),
            max_entries_per_job=integer(
                environ, "VERIFALIA_MAX_ENTRIES_PER_JOB", defaults.max_entries_per_job
            ),
            max_entry_length=integer(
                environ, "VERIFALIA_MAX_ENTRY_LENGTH", defaults.max_entry_length, minimum=1
            ),
            retention_days=number(environ, "VERIFALIA_RETENTION_DAYS", defaults.retention_days),
            jwt_secret=environ.get("VERIFALIA_JWT_SECRET") or None,
            credits_per_entry=credits,
            v1_submit_wait=number(environ, "VERIFALIA_V1_SUBMIT_WAIT", defaults.v1_submit_wait),
            scheduler_enabled=flag(environ, "VERIFALIA_SCHEDULER", defaults.scheduler_enabled),
            lease_seconds=number(environ, "VERIFALIA_LEASE_SECONDS", defaults.lease_seconds),
            batch_size=integer(environ, "VERIFALIA_SCHEDULER_BATCH_SIZE", defaults.batch_size),
            batches_in_flight=integer(environ, "VERIFALIA_SCHEDULER_BATCHES", defaults.batches_in_flight),
            poll_seconds=number(environ, "VERIFALIA_SCHEDULER_POLL_SECONDS", defaults.poll_seconds),
            sweep_seconds=number(environ, "VERIFALIA_SWEEP_SECONDS", defaults.sweep_seconds),
            metrics_allowed=networks(environ, "VERIFALIA_METRICS_ALLOWED"),
            access_log=flag(environ, "VERIFALIA_ACCESS_LOG", defaults.access_log),
        )


@dataclass(frozen=True, slots=True)
class V2Settings:
    """Every knob of the v2 surface: paging, bearer tokens, completion callbacks."""

    page_size: int = 1000
    max_page_size: int = 10_000
    token_ttl_seconds: float = DEFAULT_TOKEN_TTL_SECONDS
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


def parse_servers(raw: str, name: str) -> Servers:
    """Parse a comma list of `ip`, `ip:port` or `[ipv6]:port` name servers; a bad item names `name`."""
    servers: list[tuple[str, int]] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        host, port = item, _DNS_PORT
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else -1
        elif item.count(":") == 1:
            host, _, port_text = item.partition(":")
            port = int(port_text) if port_text.isdigit() else -1
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not an ip, ip:port or [ipv6]:port") from None
        if not 0 < port < 65536:
            raise ConfigError(f"{name}: {item!r} has an invalid port")
        servers.append((host, port))
    return tuple(servers)


def callback_servers(environ: Mapping[str, str], engine_servers: Servers) -> Servers:
    """`VERIFALIA_CALLBACK_DNS_SERVERS`, or the engine's name servers when it is unset or blank."""
    raw = environ.get("VERIFALIA_CALLBACK_DNS_SERVERS", "").strip()
    return parse_servers(raw, "VERIFALIA_CALLBACK_DNS_SERVERS") if raw else engine_servers


@dataclass(frozen=True, slots=True)
class NodeSettings:
    """Everything a node is configured with, by section."""

    service: ServiceSettings
    engine: EngineConfig
    v2: V2Settings
    leadrocks: LeadRocksSettings
    # The name servers callback hosts are looked up with; none means the system resolver.
    callback_dns_servers: Servers

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        service: ServiceSettings | None = None,
        engine: EngineConfig | None = None,
    ) -> NodeSettings:
        """Read every section from an environment mapping, defaults filling the gaps; a section given
        (`service`, `engine`) is taken as it is."""
        engine = engine or EngineConfig.from_env(environ)
        return cls(
            service=service or ServiceSettings.from_env(environ),
            engine=engine,
            v2=V2Settings.from_env(environ),
            leadrocks=LeadRocksSettings.from_env(environ),
            callback_dns_servers=callback_servers(environ, engine.dns_servers),
        )
