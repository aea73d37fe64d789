"""Where probes come from: direct, a bound source address or a SOCKS5 proxy; pools, rules and the router."""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, unquote, urlsplit

from verifalia_server.environment import ConfigError

# RFC 1929 §2: the username and the password each take 1 to 255 octets.
_CREDENTIAL_OCTETS = range(1, 256)
DIRECT_NAME = "direct"
# RFC 3986 §3.2.1: userinfo is `user:password` before the "@" of the authority.
_PASSWORD = re.compile(r"(//[^:@/]*):[^@/]*@")


@dataclass(frozen=True, slots=True)
class Direct:
    """Connect straight from whatever address the kernel picks."""

    helo_name: str | None = None

    @property
    def label(self) -> str:
        """How evidence and session keys name this egress."""
        return DIRECT_NAME


@dataclass(frozen=True, slots=True)
class SourceAddress:
    """Connect directly, bound to one local address."""

    address: str
    helo_name: str | None = None

    @property
    def label(self) -> str:
        """How evidence and session keys name this egress."""
        return f"source:{self.address}"


@dataclass(frozen=True, slots=True)
class Socks5Proxy:
    """Connect through a SOCKS5 proxy (RFC 1928), with optional user/password authentication (RFC 1929)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    helo_name: str | None = None

    @property
    def label(self) -> str:
        """How evidence and session keys name this egress; the password never appears."""
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"socks5://{user}{host}:{self.port}"


Egress = Direct | SourceAddress | Socks5Proxy
DIRECT = Direct()


# Egresses tried in turn for one connection; the first that works carries the session.
Pool = tuple[Egress, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """Host or domain patterns and the pool their probes go out through."""

    patterns: tuple[str, ...]
    pool: Pool

    def matches(self, names: Iterable[str]) -> bool:
        """Whether a pattern matches any of the names (the MX host name, the recipient domain)."""
        return any(_pattern_matches(pattern, name) for pattern in self.patterns for name in names)


@dataclass(frozen=True, slots=True)
class EgressPlan:
    """The rules, in order, and the pool for what no rule matches."""

    rules: tuple[Rule, ...] = ()
    default: Pool = (DIRECT,)

    def pool_for(self, mx_host: str, domain: str = "") -> Pool:
        """The pool of the first rule matching `mx_host` or `domain`, else the default pool."""
        names = [_normal(name) for name in (mx_host, domain) if name]
        for rule in self.rules:
            if rule.matches(names):
                return rule.pool
        return self.default


class Router:
    """Spreads connections over a pool: each call starts one member further, the rest follow as fail-overs."""

    def __init__(self, plan: EgressPlan) -> None:
        self._plan = plan
        self._turns: dict[Pool, int] = {}

    def route(self, mx_host: str, domain: str = "") -> Pool:
        """The egresses to try, in order, for a connection to `mx_host` about a recipient of `domain`."""
        pool = self._plan.pool_for(mx_host, domain)
        turn = self._turns.get(pool, 0)
        self._turns[pool] = (turn + 1) % len(pool)
        return pool[turn:] + pool[:turn]


def _normal(name: str) -> str:
    # RFC 4343 §2: DNS names compare case-insensitively; RFC 1034 §3.1: the final dot is the root.
    return name.strip().lower().rstrip(".")


def _pattern_matches(pattern: str, name: str) -> bool:
    """`*` matches everything, `*.example.com` every name under example.com, anything else itself."""
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return name.endswith(pattern[1:])
    return name == pattern


def _valid_pattern(pattern: str) -> bool:
    return pattern == "*" or (bool(pattern.removeprefix("*.")) and "*" not in pattern.removeprefix("*."))


def _redacted(text: str) -> str:
    """The URL with its password masked, fit for an error message."""
    return _PASSWORD.sub(r"\1:***@", text.strip())


def parse_proxy(text: str, *, source: str) -> Socks5Proxy:
    """Parse `socks5://[user:pass@]host:port[?helo=name]`; `source` names the setting in errors."""
    shown = _redacted(text)
    try:
        url = urlsplit(text.strip())
        port = url.port
    except ValueError as error:
        raise ConfigError(f"{source}: {shown!r} is not a proxy URL ({error})") from None
    if url.scheme.lower() == "socks5h":
        raise ConfigError(f"{source}: socks5h is not supported: the engine resolves every MX itself")
    if url.scheme.lower() != "socks5":
        raise ConfigError(f"{source}: {shown!r} must start with socks5://")
    if not url.hostname or not port or url.path not in ("", "/"):
        raise ConfigError(f"{source}: {shown!r} must be socks5://[user:pass@]host:port")
    # RFC 3986 §3.2.1: user information is percent-encoded.
    username = unquote(url.username) if url.username is not None else None
    password = unquote(url.password) if url.password is not None else None
    if (username is None) != (password is None):
        raise ConfigError(f"{source}: {shown!r} needs both a user name and a password, or neither")
    for credential in (username, password):
        if credential is not None and len(credential.encode()) not in _CREDENTIAL_OCTETS:
            raise ConfigError(f"{source}: a SOCKS5 user name or password takes 1 to 255 octets")
    query = parse_qs(url.query, keep_blank_values=True)
    if set(query) - {"helo"}:
        raise ConfigError(f"{source}: {shown!r}: the only query parameter is helo")
    helo = query.get("helo", [""])[-1] or None
    return Socks5Proxy(url.hostname, port, username, password, helo)


def parse_source(text: str, *, source: str, helo_name: str | None = None) -> SourceAddress:
    """Parse a local IP address to bind; `source` names the setting in errors."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise ConfigError(f"{source}: {text!r} is not an IP address") from None
    return SourceAddress(str(address), helo_name)


def parse_proxies(raw: str, *, source: str) -> tuple[Socks5Proxy, ...]:
    """Parse a comma-separated list of proxy URLs."""
    return tuple(parse_proxy(item, source=source) for item in raw.split(",") if item.strip())


def parse_sources(raw: str, *, source: str) -> tuple[SourceAddress, ...]:
    """Parse a comma-separated list of `ip` or `ip=helo-name` items."""
    found: list[SourceAddress] = []
    for item in (part.strip() for part in raw.split(",")):
        if item:
            address, _, helo = item.partition("=")
            found.append(parse_source(address, source=source, helo_name=helo.strip() or None))
    return tuple(found)


def plan_from_settings(
    proxies: tuple[Socks5Proxy, ...],
    sources: tuple[SourceAddress, ...],
    rules_file: str | None,
) -> EgressPlan:
    """The plan: the rules file's rules, then its default, else the proxies, else the sources, else direct."""
    if proxies and sources:
        raise ConfigError(
            "VERIFALIA_SMTP_PROXY and VERIFALIA_SMTP_SOURCE_ADDRESSES exclude each other; "
            "combine them in VERIFALIA_SMTP_EGRESS_FILE"
        )
    fallback: Pool = proxies or sources or (DIRECT,)
    if rules_file is None:
        return EgressPlan((), fallback)
    return load_rules(rules_file, fallback)


def load_rules(path: str, fallback: Pool) -> EgressPlan:
    """Read an egress rules file (TOML); `fallback` serves what no rule matches unless it sets `default`."""
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"VERIFALIA_SMTP_EGRESS_FILE: cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"VERIFALIA_SMTP_EGRESS_FILE: {path} is not valid TOML: {error}") from None
    return parse_rules(document, fallback, where=path)


def parse_rules(document: Mapping[str, object], fallback: Pool, *, where: str) -> EgressPlan:
    """Build the plan from a parsed rules document (see the README for its format)."""
    unknown = set(document) - {"default", "egress", "pool", "rule"}
    if unknown:
        raise ConfigError(f"{where}: unknown top-level keys {sorted(unknown)}")
    egresses = {
        name: _egress(name, value, where) for name, value in _table(document, "egress", where).items()
    }
    pools: dict[str, Pool] = {DIRECT_NAME: (DIRECT,)}
    pools.update((name, (egress,)) for name, egress in egresses.items())
    for name, value in _table(document, "pool", where).items():
        if name in pools:
            raise ConfigError(f"{where}: pool {name!r} reuses the name of an egress (or direct)")
        members = _strings(value, f"pool {name!r}", where)
        missing = [member for member in members if member not in egresses]
        if missing or not members:
            raise ConfigError(f"{where}: pool {name!r} must list defined egresses; unknown: {missing}")
        pools[name] = tuple(egresses[member] for member in members)
    rules = tuple(_rule(index, value, pools, where) for index, value in enumerate(_rules(document, where)))
    default = document.get("default")
    if default is None:
        return EgressPlan(rules, fallback)
    if not isinstance(default, str) or default not in pools:
        raise ConfigError(f"{where}: default must name an egress, a pool or direct, got {default!r}")
    return EgressPlan(rules, pools[default])


def _table(document: Mapping[str, object], key: str, where: str) -> Mapping[str, object]:
    value = document.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return value


def _rules(document: Mapping[str, object], where: str) -> list[object]:
    value = document.get("rule", [])
    if not isinstance(value, list):
        raise ConfigError(f"{where}: rules are written as [[rule]] tables")
    return value


def _strings(value: object, what: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"{where}: {what} must be a string or a list of strings")


def _egress(name: str, value: object, where: str) -> Egress:
    if name == DIRECT_NAME:
        raise ConfigError(f"{where}: {DIRECT_NAME!r} is built in and cannot be redefined")
    if not isinstance(value, Mapping) or set(value) - {"proxy", "source", "helo"}:
        raise ConfigError(f"{where}: egress {name!r} takes proxy or source, and optionally helo")
    helo = value.get("helo")
    if helo is not None and (not isinstance(helo, str) or not helo.strip()):
        raise ConfigError(f"{where}: egress {name!r}: helo must be a host name")
    proxy, source = value.get("proxy"), value.get("source")
    what = f"{where}: egress {name!r}"
    if isinstance(proxy, str) and source is None:
        parsed = parse_proxy(proxy, source=what)
        return replace(parsed, helo_name=helo or parsed.helo_name)
    if isinstance(source, str) and proxy is None:
        return parse_source(source, source=what, helo_name=helo)
    raise ConfigError(f"{what} needs exactly one of proxy (a socks5:// URL) or source (an IP address)")


def _rule(index: int, value: object, pools: Mapping[str, Pool], where: str) -> Rule:
    what = f"rule {index + 1}"
    if not isinstance(value, Mapping) or set(value) != {"match", "use"}:
        raise ConfigError(f"{where}: {what} takes match (patterns) and use (an egress, a pool or direct)")
    patterns = tuple(_normal(pattern) for pattern in _strings(value["match"], f"{what} match", where))
    if not patterns or any(not _valid_pattern(pattern) for pattern in patterns):
        raise ConfigError(f"{where}: {what}: patterns are names, *.names or *")
    use = value["use"]
    if not isinstance(use, str) or use not in pools:
        raise ConfigError(f"{where}: {what}: use must name an egress, a pool or direct, got {use!r}")
    return Rule(patterns, pools[use])
