"""Address guard: refuse loopback, private, link-local and reserved destinations unless allowed."""

from __future__ import annotations

import ipaddress


class PrivateAddressError(ValueError):
    """The address is not a public unicast address and private destinations are not allowed."""


def is_public_address(ip: str) -> bool:
    """Return whether `ip` is a globally routable unicast address (RFC 6890 special-purpose registry)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def ensure_public(ip: str, allow_private: bool) -> None:
    """Raise PrivateAddressError unless `ip` is public or private destinations are allowed."""
    if allow_private:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise PrivateAddressError(f"{ip!r} is not an IP address") from None
        return
    if not is_public_address(ip):
        raise PrivateAddressError(f"{ip} is not a public address")
