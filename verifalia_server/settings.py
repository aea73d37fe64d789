"""Service settings (database, HTTP, limits, credits, scheduler), read from environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from verifalia_server.engine.verdict import Quality
from verifalia_server.environment import IPNetwork as IPNetwork
from verifalia_server.environment import flag, integer, networks, number, positive

_MIB = 1024 * 1024
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
