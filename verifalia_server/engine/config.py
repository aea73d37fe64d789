"""Engine settings, read from `VERIFALIA_*` environment variables (documented in the README)."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

from verifalia_server.engine.smtp.egress import EgressPlan, parse_proxies, parse_sources, plan_from_settings
from verifalia_server.engine.verdict import Quality
from verifalia_server.environment import ConfigError as ConfigError
from verifalia_server.environment import flag, integer, number, numbers


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Every knob of the verification engine."""

    dns_servers: tuple[tuple[str, int], ...] = ()
    dns_timeout: float = 5.0
    dns_cache_size: int = 100_000
    allow_private_mx: bool = False
    smtp_port: int = 25
    helo_name: str = field(default_factory=socket.getfqdn)
    mail_from: str = ""
    smtp_connect_timeout: float = 10.0
    smtp_command_timeout: float = 30.0
    smtp_sessions_per_host: int = 4
    smtp_sessions_total: int = 200
    smtp_recipients_per_session: int = 50
    smtp_errors_per_session: int = 8
    smtp_pipeline_depth: int = 10
    smtp_throttle_wait: float = 30.0
    smtp_throttle_deadline: float = 3600.0
    smtp_starttls: bool = True
    # Where probes go out from: SOCKS5 proxies, bound source addresses, rules per provider (default: direct).
    egress_plan: EgressPlan = field(default_factory=EgressPlan)
    lists_file: str | None = None
    retry_delays: Mapping[Quality, tuple[float, ...]] = field(
        default_factory=lambda: {
            Quality.STANDARD: (60.0,),
            Quality.HIGH: (60.0, 300.0, 900.0),
            Quality.EXTREME: (60.0, 300.0, 900.0, 1800.0, 3600.0),
        }
    )

    @property
    def sender(self) -> str:
        """The MAIL FROM address: configured, or `verifier@<helo name>`."""
        return self.mail_from or f"verifier@{self.helo_name}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> EngineConfig:
        """Build the configuration from an environment mapping, defaults filling the gaps."""
        defaults = cls()
        delays = {
            quality: numbers(environ, f"VERIFALIA_RETRY_DELAYS_{quality.name}", default)
            for quality, default in defaults.retry_delays.items()
        }
        return cls(
            dns_servers=parse_dns_servers(environ.get("VERIFALIA_DNS_SERVERS", "")),
            dns_timeout=number(environ, "VERIFALIA_DNS_TIMEOUT", defaults.dns_timeout),
            dns_cache_size=integer(environ, "VERIFALIA_DNS_CACHE_SIZE", defaults.dns_cache_size),
            allow_private_mx=flag(environ, "VERIFALIA_ALLOW_PRIVATE_MX", defaults.allow_private_mx),
            smtp_port=integer(environ, "VERIFALIA_SMTP_PORT", defaults.smtp_port),
            helo_name=environ.get("VERIFALIA_HELO_NAME", "") or defaults.helo_name,
            mail_from=environ.get("VERIFALIA_MAIL_FROM", ""),
            smtp_connect_timeout=number(
                environ, "VERIFALIA_SMTP_CONNECT_TIMEOUT", defaults.smtp_connect_timeout
            ),
            smtp_command_timeout=number(
                environ, "VERIFALIA_SMTP_COMMAND_TIMEOUT", defaults.smtp_command_timeout
            ),
            smtp_sessions_per_host=integer(
                environ, "VERIFALIA_SMTP_SESSIONS_PER_HOST", defaults.smtp_sessions_per_host
            ),
            smtp_sessions_total=integer(
                environ, "VERIFALIA_SMTP_SESSIONS_TOTAL", defaults.smtp_sessions_total
            ),
            smtp_recipients_per_session=integer(
                environ, "VERIFALIA_SMTP_RECIPIENTS_PER_SESSION", defaults.smtp_recipients_per_session
            ),
            smtp_errors_per_session=integer(
                environ, "VERIFALIA_SMTP_ERRORS_PER_SESSION", defaults.smtp_errors_per_session, minimum=1
            ),
            smtp_pipeline_depth=integer(
                environ, "VERIFALIA_SMTP_PIPELINE_DEPTH", defaults.smtp_pipeline_depth, minimum=1
            ),
            smtp_throttle_wait=number(environ, "VERIFALIA_SMTP_THROTTLE_WAIT", defaults.smtp_throttle_wait),
            smtp_throttle_deadline=number(
                environ, "VERIFALIA_SMTP_THROTTLE_DEADLINE", defaults.smtp_throttle_deadline
            ),
            smtp_starttls=flag(environ, "VERIFALIA_SMTP_STARTTLS", defaults.smtp_starttls),
            egress_plan=plan_from_settings(
                parse_proxies(environ.get("VERIFALIA_SMTP_PROXY", ""), source="VERIFALIA_SMTP_PROXY"),
                parse_sources(
                    environ.get("VERIFALIA_SMTP_SOURCE_ADDRESSES", ""),
                    source="VERIFALIA_SMTP_SOURCE_ADDRESSES",
                ),
                environ.get("VERIFALIA_SMTP_EGRESS_FILE") or None,
            ),
            lists_file=environ.get("VERIFALIA_LISTS_FILE") or None,
            retry_delays=delays,
        )


def parse_dns_servers(raw: str) -> tuple[tuple[str, int], ...]:
    """Parse `ip`, `ip:port` or `[ipv6]:port` items of VERIFALIA_DNS_SERVERS."""
    servers: list[tuple[str, int]] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        host, port = item, "53"
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            port = rest.removeprefix(":") or "53"
        elif item.count(":") == 1:
            host, port = item.split(":")
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
            servers.append((host, int(port)))
        except (OSError, ValueError):
            raise ConfigError(f"VERIFALIA_DNS_SERVERS: {item!r} is not an ip or ip:port") from None
    return tuple(servers)
