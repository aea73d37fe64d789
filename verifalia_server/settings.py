"""The node's configuration, read once from the environment into one typed object with a section per part.

`NodeSettings.from_env` reads every section with pydantic-settings: `service` (database, HTTP, limits,
credits, scheduler), `engine` (the engine's own plain `EngineConfig`), `v2` (paging, bearer tokens,
completion callbacks), `leadrocks` (realtime budget and default per-app limits), `callback_dns_servers` and
`captcha` (the CAPTCHA providers' secrets and siteverify URLs) and `mail` (the SMTP relay notification mail
goes through).
Each section declares its variables by name, each with its default and the `environment` reader that parses
it, whose errors name the variable; a section can also be read alone with its own `from_env`.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from verifalia_server.captcha.config import (
    DEFAULT_MIN_SCORE,
    DEFAULT_TIMEOUT,
    DEFAULT_VERIFY_URLS,
    CaptchaConfig,
    Provider,
    ProviderConfig,
)
from verifalia_server.engine.config import EngineConfig, parse_dns_servers
from verifalia_server.engine.smtp.egress import EgressPlan, parse_proxies, parse_sources, plan_from_settings
from verifalia_server.engine.verdict import Quality
from verifalia_server.environment import ConfigError, flag, integer, networks, number, numbers, positive
from verifalia_server.environment import IPNetwork as IPNetwork
from verifalia_server.mail.config import DEFAULT_RELAY_TIMEOUT, DEFAULT_SENDER, RelayConfig, parse_relay
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
    # HTTPS: the node's certificate chain and key (PEM); the CA of client certificates
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None

    @property
    def retention_seconds(self) -> float:
        """The default retention of completed jobs, in seconds."""
        return self.retention_days * 86_400.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ServiceSettings:
        """This section alone, read from an environment mapping, defaults filling the gaps."""
        return _read_section(_ServiceSection, environ).settings()


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
        """This section alone, read from an environment mapping, defaults filling the gaps."""
        return _read_section(_V2Section, environ).settings()


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
        """This section alone, read from an environment mapping, defaults filling the gaps."""
        return _read_section(_LeadRocksSection, environ).settings()

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
    configured = _read_section(_CallbackSection, environ).dns_servers
    return engine_servers if configured is None else configured


@dataclass(frozen=True, slots=True)
class NodeSettings:
    """Everything a node is configured with, by section."""

    service: ServiceSettings
    engine: EngineConfig
    v2: V2Settings
    leadrocks: LeadRocksSettings
    # The name servers callback hosts are looked up with; none means the system resolver.
    callback_dns_servers: Servers
    captcha: CaptchaConfig = field(default_factory=CaptchaConfig)
    mail: RelayConfig = field(default_factory=RelayConfig)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NodeSettings:
        """Read every section once from an environment mapping (the process environment when none is
        given), defaults filling the gaps; a malformed value raises `ConfigError` naming its variable."""
        try:
            # `environ` is no field: it names the mapping that the one source reads
            source = os.environ if environ is None else environ
            variables = _Variables(environ=source)  # type: ignore[call-arg]
        except ValidationError as error:
            raise _config_error(error) from None
        return variables.node()


# How the environment is read: one pydantic-settings object whose sections name each variable and its reader.
# The readers are `environment`'s (so a malformed value stops the program with the same one-line message);
# pydantic-settings gathers the variables, runs the readers in order and checks the types of the results.

Reader = Callable[[Mapping[str, str], str, Any], Any]
_READERS: dict[str, Reader] = {}


def _var(name: str, default: Any, read: Reader, *, checked: bool = False, **bounds: Any) -> Any:
    """A field read from the variable `name` by `read` (with `bounds`), `default` when it is unset;
    `checked` runs the field's own validators on the default too."""
    _READERS[name] = functools.partial(read, **bounds) if bounds else read
    return Field(default, validation_alias=name, validate_default=checked)


def _text(environ: Mapping[str, str], name: str, default: Any) -> Any:
    return environ.get(name, "") or default


def _optional(environ: Mapping[str, str], name: str, _default: Any) -> str | None:
    return environ.get(name) or None


def _absolute(environ: Mapping[str, str], name: str, default: Path) -> Path:
    # a relative directory is taken from where the command starts, so every later use agrees on it
    return Path(environ.get(name, "") or default).absolute()


def _path(environ: Mapping[str, str], name: str, default: Path) -> Path:
    return Path(environ.get(name, "") or default)


def _optional_path(environ: Mapping[str, str], name: str, _default: Any) -> Path | None:
    raw = environ.get(name, "")
    return Path(raw).absolute() if raw else None


def _networks(environ: Mapping[str, str], name: str, _default: Any) -> tuple[IPNetwork, ...]:
    return networks(environ, name)


def _dns_servers(environ: Mapping[str, str], name: str, _default: Any) -> Servers:
    return parse_dns_servers(environ.get(name, ""))


def _callback_servers(environ: Mapping[str, str], name: str, _default: Any) -> Servers | None:
    raw = environ.get(name, "").strip()
    return parse_servers(raw, name) if raw else None


def _url(environ: Mapping[str, str], name: str, default: str) -> str:
    raw = environ.get(name, "").strip() or default
    # RFC 3986 §3: scheme "://" authority path; siteverify is reached over http(s) only.
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an absolute http or https URL, got {raw!r}")
    return raw


def _score(environ: Mapping[str, str], name: str, default: float) -> float:
    value = number(environ, name, default)
    if value > 1:
        raise ConfigError(f"{name} must be between 0 and 1, got {value:g}")
    return value


class _Section(BaseModel):
    """A section: each field is one variable, read by its registered reader when it is set."""

    model_config = ConfigDict(frozen=True, extra="ignore", arbitrary_types_allowed=True)

    @field_validator("*", mode="before")
    @classmethod
    def _read(cls, raw: Any, info: ValidationInfo) -> Any:
        name = cls.model_fields[info.field_name or ""].validation_alias
        read = _READERS.get(name) if isinstance(name, str) else None
        if read is None or not isinstance(raw, str) or not isinstance(name, str):
            return raw
        return read({name: raw}, name, cls.model_fields[info.field_name or ""].default)

    def values(self, cls: Any) -> dict[str, Any]:
        """The fields that `cls` (a dataclass) has too, by name."""
        names = {item.name for item in dataclasses.fields(cls)}
        return {name: getattr(self, name) for name in type(self).model_fields if name in names}


_S = ServiceSettings()
_V2 = V2Settings()
_LR = LeadRocksSettings()
_CREDITS = {
    Quality.STANDARD: "credits_standard",
    Quality.HIGH: "credits_high",
    Quality.EXTREME: "credits_extreme",
}
_DELAYS = {Quality.STANDARD: "retry_standard", Quality.HIGH: "retry_high", Quality.EXTREME: "retry_extreme"}
_E = EngineConfig(helo_name="")  # the defaults; the host's FQDN is looked up only when it is needed
_ENGINE_DELAYS = _E.retry_delays


class _EngineSection(_Section):
    retry_standard: tuple[float, ...] = _var(
        "VERIFALIA_RETRY_DELAYS_STANDARD", _ENGINE_DELAYS[Quality.STANDARD], numbers
    )
    retry_high: tuple[float, ...] = _var("VERIFALIA_RETRY_DELAYS_HIGH", _ENGINE_DELAYS[Quality.HIGH], numbers)
    retry_extreme: tuple[float, ...] = _var(
        "VERIFALIA_RETRY_DELAYS_EXTREME", _ENGINE_DELAYS[Quality.EXTREME], numbers
    )
    dns_servers: Servers = _var("VERIFALIA_DNS_SERVERS", (), _dns_servers)
    dns_timeout: float = _var("VERIFALIA_DNS_TIMEOUT", _E.dns_timeout, number)
    dns_cache_size: int = _var("VERIFALIA_DNS_CACHE_SIZE", _E.dns_cache_size, integer)
    allow_private_mx: bool = _var("VERIFALIA_ALLOW_PRIVATE_MX", _E.allow_private_mx, flag)
    smtp_port: int = _var("VERIFALIA_SMTP_PORT", _E.smtp_port, integer)
    helo_name: str = _var("VERIFALIA_HELO_NAME", "", _text)
    mail_from: str = _var("VERIFALIA_MAIL_FROM", "", _text)
    smtp_connect_timeout: float = _var("VERIFALIA_SMTP_CONNECT_TIMEOUT", _E.smtp_connect_timeout, number)
    smtp_command_timeout: float = _var("VERIFALIA_SMTP_COMMAND_TIMEOUT", _E.smtp_command_timeout, number)
    smtp_sessions_per_host: int = _var("VERIFALIA_SMTP_SESSIONS_PER_HOST", _E.smtp_sessions_per_host, integer)
    smtp_sessions_total: int = _var("VERIFALIA_SMTP_SESSIONS_TOTAL", _E.smtp_sessions_total, integer)
    smtp_recipients_per_session: int = _var(
        "VERIFALIA_SMTP_RECIPIENTS_PER_SESSION", _E.smtp_recipients_per_session, integer
    )
    smtp_errors_per_session: int = _var(
        "VERIFALIA_SMTP_ERRORS_PER_SESSION",
        _E.smtp_errors_per_session,
        integer,
        minimum=1,
    )
    smtp_pipeline_depth: int = _var(
        "VERIFALIA_SMTP_PIPELINE_DEPTH", _E.smtp_pipeline_depth, integer, minimum=1
    )
    smtp_throttle_wait: float = _var("VERIFALIA_SMTP_THROTTLE_WAIT", _E.smtp_throttle_wait, number)
    smtp_throttle_deadline: float = _var(
        "VERIFALIA_SMTP_THROTTLE_DEADLINE", _E.smtp_throttle_deadline, number
    )
    smtp_starttls: bool = _var("VERIFALIA_SMTP_STARTTLS", _E.smtp_starttls, flag)
    smtp_proxy: str = Field("", validation_alias="VERIFALIA_SMTP_PROXY")
    smtp_source_addresses: str = Field("", validation_alias="VERIFALIA_SMTP_SOURCE_ADDRESSES")
    # the egress plan is made of the two variables above and this one, read in this order
    egress_plan: EgressPlan = Field(
        None, validation_alias="VERIFALIA_SMTP_EGRESS_FILE", validate_default=True
    )
    lists_file: str | None = _var("VERIFALIA_LISTS_FILE", None, _optional)

    @field_validator("egress_plan", mode="before")
    @classmethod
    def _egress(cls, raw: Any, info: ValidationInfo) -> EgressPlan:
        return plan_from_settings(
            parse_proxies(info.data.get("smtp_proxy", ""), source="VERIFALIA_SMTP_PROXY"),
            parse_sources(
                info.data.get("smtp_source_addresses", ""), source="VERIFALIA_SMTP_SOURCE_ADDRESSES"
            ),
            raw or None,
        )

    def config(self) -> EngineConfig:
        values = self.values(EngineConfig)
        if not values["helo_name"]:
            del values["helo_name"]  # the host's FQDN, looked up only when needed
        delays = {quality: getattr(self, name) for quality, name in _DELAYS.items()}
        return EngineConfig(**values, retry_delays=delays)


class _ServiceSection(_Section):
    credits_standard: float = _var(
        "VERIFALIA_CREDITS_STANDARD", _S.credits_per_entry[Quality.STANDARD], number
    )
    credits_high: float = _var("VERIFALIA_CREDITS_HIGH", _S.credits_per_entry[Quality.HIGH], number)
    credits_extreme: float = _var("VERIFALIA_CREDITS_EXTREME", _S.credits_per_entry[Quality.EXTREME], number)
    database_url: str | None = _var("DATABASE_URL", None, _optional)
    data_dir: Path = _var("VERIFALIA_DATA_DIR", _S.data_dir, _absolute)
    migrations_dir: Path = _var("VERIFALIA_MIGRATIONS_DIR", _S.migrations_dir, _path)
    node_id: str = _var("VERIFALIA_NODE_ID", _S.node_id, _text)
    host: str = _var("VERIFALIA_HOST", _S.host, _text)
    port: int = _var("VERIFALIA_PORT", _S.port, integer)
    pool_min_size: int = _var("VERIFALIA_POOL_MIN_SIZE", _S.pool_min_size, integer)
    pool_max_size: int = _var("VERIFALIA_POOL_MAX_SIZE", _S.pool_max_size, integer)
    db_statement_timeout: float = _var("VERIFALIA_DB_STATEMENT_TIMEOUT", _S.db_statement_timeout, positive)
    db_acquire_timeout: float = _var("VERIFALIA_DB_ACQUIRE_TIMEOUT", _S.db_acquire_timeout, positive)
    max_concurrent_requests_per_ip: int = _var(
        "VERIFALIA_MAX_CONCURRENT_REQUESTS_PER_IP", _S.max_concurrent_requests_per_ip, integer
    )
    trusted_proxies: tuple[IPNetwork, ...] = _var("VERIFALIA_TRUSTED_PROXIES", (), _networks)
    max_body_bytes: int = _var("VERIFALIA_MAX_BODY_BYTES", _S.max_body_bytes, integer)
    snapshot_cache_bytes: int = _var("VERIFALIA_SNAPSHOT_CACHE_BYTES", _S.snapshot_cache_bytes, integer)
    max_entries_per_job: int = _var("VERIFALIA_MAX_ENTRIES_PER_JOB", _S.max_entries_per_job, integer)
    max_entry_length: int = _var("VERIFALIA_MAX_ENTRY_LENGTH", _S.max_entry_length, integer, minimum=1)
    retention_days: float = _var("VERIFALIA_RETENTION_DAYS", _S.retention_days, number)
    jwt_secret: str | None = _var("VERIFALIA_JWT_SECRET", None, _optional)
    v1_submit_wait: float = _var("VERIFALIA_V1_SUBMIT_WAIT", _S.v1_submit_wait, number)
    scheduler_enabled: bool = _var("VERIFALIA_SCHEDULER", _S.scheduler_enabled, flag)
    lease_seconds: float = _var("VERIFALIA_LEASE_SECONDS", _S.lease_seconds, number)
    batch_size: int = _var("VERIFALIA_SCHEDULER_BATCH_SIZE", _S.batch_size, integer)
    batches_in_flight: int = _var("VERIFALIA_SCHEDULER_BATCHES", _S.batches_in_flight, integer)
    poll_seconds: float = _var("VERIFALIA_SCHEDULER_POLL_SECONDS", _S.poll_seconds, number)
    sweep_seconds: float = _var("VERIFALIA_SWEEP_SECONDS", _S.sweep_seconds, number)
    metrics_allowed: tuple[IPNetwork, ...] = _var("VERIFALIA_METRICS_ALLOWED", (), _networks)
    access_log: bool = _var("VERIFALIA_ACCESS_LOG", _S.access_log, flag)
    tls_cert_file: Path | None = _var("VERIFALIA_TLS_CERT_FILE", None, _optional_path)
    tls_key_file: Path | None = _var("VERIFALIA_TLS_KEY_FILE", None, _optional_path)
    tls_client_ca_file: Path | None = _var("VERIFALIA_TLS_CLIENT_CA_FILE", None, _optional_path, checked=True)

    @field_validator("tls_client_ca_file")
    @classmethod
    def _tls(cls, client_ca_file: Path | None, info: ValidationInfo) -> Path | None:
        if (info.data.get("tls_cert_file") is None) != (info.data.get("tls_key_file") is None):
            raise ConfigError("VERIFALIA_TLS_CERT_FILE and VERIFALIA_TLS_KEY_FILE go together")
        if client_ca_file is not None and info.data.get("tls_cert_file") is None:
            raise ConfigError("VERIFALIA_TLS_CLIENT_CA_FILE needs VERIFALIA_TLS_CERT_FILE (HTTPS)")
        return client_ca_file

    def settings(self) -> ServiceSettings:
        credits = {quality: getattr(self, name) for quality, name in _CREDITS.items()}
        return ServiceSettings(**self.values(ServiceSettings), credits_per_entry=credits)


class _V2Section(_Section):
    page_size: int = _var("VERIFALIA_PAGE_SIZE", _V2.page_size, integer, minimum=1)
    max_page_size: int = _var("VERIFALIA_MAX_PAGE_SIZE", _V2.max_page_size, integer, checked=True, minimum=1)
    token_ttl_seconds: float = _var("VERIFALIA_TOKEN_TTL_SECONDS", _V2.token_ttl_seconds, number, minimum=1)
    allow_private_callbacks: bool = _var(
        "VERIFALIA_ALLOW_PRIVATE_CALLBACKS", _V2.allow_private_callbacks, flag
    )
    callback_timeout: float = _var("VERIFALIA_CALLBACK_TIMEOUT", _V2.callback_timeout, number, minimum=0.1)
    callback_retry_delays: tuple[float, ...] = _var(
        "VERIFALIA_CALLBACK_RETRY_DELAYS", _V2.callback_retry_delays, numbers
    )
    callback_poll_seconds: float = _var(
        "VERIFALIA_CALLBACK_POLL_SECONDS", _V2.callback_poll_seconds, number, minimum=0.05
    )

    @field_validator("max_page_size")
    @classmethod
    def _pages(cls, max_page_size: int, info: ValidationInfo) -> int:
        page_size = info.data.get("page_size")
        if page_size is not None and page_size > max_page_size:
            raise ConfigError(
                f"VERIFALIA_PAGE_SIZE ({page_size}) exceeds VERIFALIA_MAX_PAGE_SIZE ({max_page_size})"
            )
        return max_page_size

    def settings(self) -> V2Settings:
        return V2Settings(**self.values(V2Settings))


class _LeadRocksSection(_Section):
    verify_timeout: float = _var("VERIFALIA_LEADROCKS_VERIFY_TIMEOUT", _LR.verify_timeout, positive)
    max_concurrent_lists: int = _var(
        "VERIFALIA_LEADROCKS_MAX_CONCURRENT_LISTS", _LR.max_concurrent_lists, integer
    )
    verifies_per_minute: int = _var(
        "VERIFALIA_LEADROCKS_VERIFIES_PER_MINUTE", _LR.verifies_per_minute, integer
    )
    requests_per_minute: int = _var(
        "VERIFALIA_LEADROCKS_REQUESTS_PER_MINUTE", _LR.requests_per_minute, integer
    )

    def settings(self) -> LeadRocksSettings:
        return LeadRocksSettings(**self.values(LeadRocksSettings))


_CAPTCHA_URLS = {
    Provider.TURNSTILE: "turnstile_url",
    Provider.RECAPTCHA_V2: "recaptcha_url",
    Provider.RECAPTCHA_V3: "recaptcha_url",
    Provider.HCAPTCHA: "hcaptcha_url",
}
_CAPTCHA_SECRETS = {
    Provider.TURNSTILE: "turnstile_secret",
    Provider.RECAPTCHA_V2: "recaptcha_v2_secret",
    Provider.RECAPTCHA_V3: "recaptcha_v3_secret",
    Provider.HCAPTCHA: "hcaptcha_secret",
}


class _CaptchaSection(_Section):
    turnstile_secret: str | None = _var("VERIFALIA_CAPTCHA_TURNSTILE_SECRET", None, _optional)
    turnstile_url: str = _var(
        "VERIFALIA_CAPTCHA_TURNSTILE_URL", DEFAULT_VERIFY_URLS[Provider.TURNSTILE], _url, checked=True
    )
    recaptcha_v2_secret: str | None = _var("VERIFALIA_CAPTCHA_RECAPTCHA_V2_SECRET", None, _optional)
    recaptcha_v3_secret: str | None = _var("VERIFALIA_CAPTCHA_RECAPTCHA_V3_SECRET", None, _optional)
    recaptcha_url: str = _var(
        "VERIFALIA_CAPTCHA_RECAPTCHA_URL", DEFAULT_VERIFY_URLS[Provider.RECAPTCHA_V2], _url, checked=True
    )
    hcaptcha_secret: str | None = _var("VERIFALIA_CAPTCHA_HCAPTCHA_SECRET", None, _optional)
    hcaptcha_url: str = _var(
        "VERIFALIA_CAPTCHA_HCAPTCHA_URL", DEFAULT_VERIFY_URLS[Provider.HCAPTCHA], _url, checked=True
    )
    min_score: float = _var("VERIFALIA_CAPTCHA_RECAPTCHA_V3_MIN_SCORE", DEFAULT_MIN_SCORE, _score)
    action: str | None = _var("VERIFALIA_CAPTCHA_RECAPTCHA_V3_ACTION", None, _optional)
    timeout: float = _var("VERIFALIA_CAPTCHA_TIMEOUT", DEFAULT_TIMEOUT, positive)

    def config(self) -> CaptchaConfig:
        providers = {
            provider: ProviderConfig(getattr(self, _CAPTCHA_URLS[provider]), getattr(self, secret))
            for provider, secret in _CAPTCHA_SECRETS.items()
        }
        return CaptchaConfig(providers, self.min_score, self.action, self.timeout)


def _relay(environ: Mapping[str, str], name: str, _default: Any) -> tuple[str, int] | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_relay(raw)
    except ValueError as error:
        raise ConfigError(f"{name}: {error}") from None


class _MailSection(_Section):
    # unset: no relay, so no notification mail (creating an e-mail contact method answers 503)
    relay: tuple[str, int] | None = _var("VERIFALIA_SMTP_RELAY", None, _relay)
    sender: str = _var("VERIFALIA_SMTP_RELAY_FROM", DEFAULT_SENDER, _text)
    timeout: float = _var("VERIFALIA_SMTP_RELAY_TIMEOUT", DEFAULT_RELAY_TIMEOUT, positive)

    def config(self) -> RelayConfig:
        if self.relay is None:
            return RelayConfig(sender=self.sender, timeout=self.timeout)
        host, port = self.relay
        return RelayConfig(host, port, self.sender, self.timeout)


class _CallbackSection(_Section):
    # unset or blank: the engine's name servers
    dns_servers: Servers | None = _var("VERIFALIA_CALLBACK_DNS_SERVERS", None, _callback_servers)


class _EnvironmentSource(PydanticBaseSettingsSource):
    """Every section reads the same environment mapping; each picks its own variables by name."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.environ = dict(environ)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.environ, field_name, True

    def __call__(self) -> dict[str, Any]:
        return {name: self.environ for name in self.settings_cls.model_fields}


class _Variables(BaseSettings):
    """The node's environment, read once: a section per part, in the order they were always read."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    engine: _EngineSection
    service: _ServiceSection
    v2: _V2Section
    leadrocks: _LeadRocksSection
    callback: _CallbackSection
    captcha: _CaptchaSection
    mail: _MailSection

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # `_Variables(environ=...)` names the mapping to read: the process environment, or a test's own
        environ = getattr(init_settings, "init_kwargs", {}).get("environ", os.environ)
        return (_EnvironmentSource(settings_cls, environ),)

    def node(self) -> NodeSettings:
        engine = self.engine.config()
        return NodeSettings(
            service=self.service.settings(),
            engine=engine,
            v2=self.v2.settings(),
            leadrocks=self.leadrocks.settings(),
            callback_dns_servers=engine.dns_servers
            if self.callback.dns_servers is None
            else self.callback.dns_servers,
            captcha=self.captcha.config(),
            mail=self.mail.config(),
        )


_SectionT = TypeVar("_SectionT", bound=_Section)


def _read_section(section: type[_SectionT], environ: Mapping[str, str]) -> _SectionT:
    try:
        return section.model_validate(dict(environ))
    except ValidationError as error:
        raise _config_error(error) from None


def _config_error(error: ValidationError) -> Exception:
    """The first malformed value's own error (a reader's `ConfigError` naming the variable)."""
    first = error.errors()[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, Exception):
        return cause
    name = next((str(part) for part in reversed(first["loc"]) if str(part).isupper()), "configuration")
    return ConfigError(f"{name}: {first['msg']}")
