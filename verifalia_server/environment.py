"""Typed readers of configuration values from an environment mapping; a bad value raises `ConfigError`."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


def number(environ: Mapping[str, str], name: str, default: float, *, minimum: float = 0) -> float:
    """The number in `name`, or `default` when unset or blank; below `minimum` is an error."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    return _at_least(name, raw, minimum)


def positive(environ: Mapping[str, str], name: str, default: float) -> float:
    """The number in `name`, or `default` when unset or blank; zero or below is an error."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    value = _parse(name, raw)
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


def integer(environ: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    """The whole number in `name` (`5` or `5.0`), or `default` when unset or blank; below `minimum` errs."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    value = _at_least(name, raw, minimum)
    if not value.is_integer():
        raise ConfigError(f"{name} must be a whole number, got {raw!r}")
    return int(value)


def flag(environ: Mapping[str, str], name: str, default: bool = False) -> bool:
    """The switch in `name` (1/true/yes/on or 0/false/no/off), or `default` when unset or blank."""
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{name} must be 0 or 1, got {raw!r}")


def numbers(environ: Mapping[str, str], name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    """The comma-separated non-negative numbers in `name`: `default` when unset, none when blank."""
    if name not in environ:
        return default
    raw = environ[name].strip()
    if not raw:
        return ()
    try:
        values = tuple(float(part) for part in raw.split(","))
    except ValueError:
        raise ConfigError(f"{name} must be comma-separated seconds, got {raw!r}") from None
    if any(value < 0 for value in values):
        raise ConfigError(f"{name} must not contain negative delays, got {raw!r}")
    return values


def networks(environ: Mapping[str, str], name: str) -> tuple[IPNetwork, ...]:
    """The comma-separated IP addresses and CIDR blocks in `name`; none when unset or blank."""
    found: list[IPNetwork] = []
    for item in (part.strip() for part in environ.get(name, "").split(",")):
        if not item:
            continue
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not an IP address or CIDR") from None
    return tuple(found)


def _parse(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def _at_least(name: str, raw: str, minimum: float) -> float:
    value = _parse(name, raw)
    if value < minimum:
        bound = "must not be negative" if minimum == 0 else f"must be at least {minimum}"
        raise ConfigError(f"{name} {bound}, got {raw!r}")
    return value
