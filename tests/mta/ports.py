"""Finding one TCP port that is free on several loopback addresses at once."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable

_ATTEMPTS = 50


def common_free_port(addresses: Iterable[str], preferred: int = 0) -> int:
    """A port on which every address can bind now (`preferred` if it is free, else a kernel-chosen one)."""
    addresses = list(addresses)
    for _ in range(_ATTEMPTS):
        with contextlib.ExitStack() as stack:
            port = preferred
            try:
                for address in addresses:
                    sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                    sock.bind((address, port))
                    port = port or sock.getsockname()[1]
            except OSError:
                if preferred:
                    raise
                continue
            return port
    raise OSError(f"no port free on all of {addresses}")
