"""Address guard: refuse loopback, private, link-local and reserved destinations unless allowed."""

from __future__ import annotations

import ipaddress

# IPv6 blocks refused whole, whatever they embed.
_REFUSED_IPV6_NETWORKS = (
    ipaddress.IPv6Network("fec0::/10"),  # RFC 3879 §4 deprecated site-local
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # RFC 8215 §3 local-use translation, not globally reachable
    ipaddress.IPv6Network("2001::/32"),  # RFC 4380 §2.6 Teredo, not globally reachable (RFC 6890 registry)
)
# RFC 6052 §2.1 well-known NAT64 prefix: the IPv4 destination is the last 32 bits.
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
# RFC 4291 §2.5.5.1 deprecated IPv4-compatible addresses: the IPv4 address is the last 32 bits.
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


class PrivateAddressError(ValueError):
    """The address is not a public unicast address and private destinations are not allowed."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 destination an IPv6 address stands for, when it embeds one."""
    if address.ipv4_mapped is not None:  # RFC 4291 §2.5.5.2
        return address.ipv4_mapped
    if address.sixtofour is not None:  # RFC 3056 §2 6to4
        return address.sixtofour
    if address in _NAT64_WELL_KNOWN or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(ip: str) -> bool:
    """Return whether `ip` is a globally routable unicast address (RFC 6890 special-purpose registry).

    An IPv6 address that embeds an IPv4 destination (IPv4-mapped, IPv4-compatible, 6to4, NAT64) is
    public only when that IPv4 address is.
    """
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in _REFUSED_IPV6_NETWORKS):
            return False
        address = _embedded_ipv4(address) or address
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
