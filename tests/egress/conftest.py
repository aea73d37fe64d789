"""Fixtures: real SOCKS5 proxies (microsocks) with and without authentication, and proxies that fail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.egress.socks import DownProxy, Microsocks, MuteProxy

USERNAME = "prober"
PASSWORD = "s3cret:pass"
# Where the open proxy's outgoing connections leave from, so the mail farm can tell them apart.
OPEN_PROXY_SOURCE = "127.0.0.77"
AUTH_PROXY_SOURCE = "127.0.0.78"


@pytest.fixture
def open_proxy() -> Iterator[Microsocks]:
    """A SOCKS5 proxy without authentication, connecting out from 127.0.0.77."""
    proxy = Microsocks(bind=OPEN_PROXY_SOURCE).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def auth_proxy() -> Iterator[Microsocks]:
    """A SOCKS5 proxy that demands user/password authentication (RFC 1929), connecting out from 127.0.0.78."""
    proxy = Microsocks(username=USERNAME, password=PASSWORD, bind=AUTH_PROXY_SOURCE).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def down_proxy() -> Iterator[DownProxy]:
    """A proxy address where nothing listens."""
    proxy = DownProxy()
    yield proxy
    proxy.close()


@pytest.fixture
def mute_proxy() -> Iterator[MuteProxy]:
    """A proxy that accepts connections and never answers."""
    proxy = MuteProxy()
    yield proxy
    proxy.close()
