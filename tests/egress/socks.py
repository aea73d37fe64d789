"""SOCKS5 proxies for the tests: `microsocks` processes on loopback, and proxies that are down or mute."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from urllib.parse import quote

MICROSOCKS = "microsocks"
_START_ATTEMPTS = 10
_READY_WITHIN = 5.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on `host` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class Microsocks:
    """One `microsocks` process listening on `host`; outgoing connections leave from `bind` when set."""

    host: str = "127.0.0.1"
    username: str | None = None
    password: str | None = None
    bind: str | None = None
    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> Microsocks:
        """Start the proxy on a free port and wait until it accepts connections."""
        executable = shutil.which(MICROSOCKS)
        if executable is None:
            raise RuntimeError("microsocks is not installed: run sh tests/install-packages.sh")
        for _ in range(_START_ATTEMPTS):
            port = free_port(self.host)
            command = [executable, "-i", self.host, "-p", str(port)]
            if self.username is not None and self.password is not None:
                command += ["-u", self.username, "-P", self.password]
            if self.bind is not None:
                command += ["-b", self.bind]
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + _READY_WITHIN
            while process.poll() is None and time.monotonic() < deadline:
                if _accepts(self.host, port):
                    self._process, self.port = process, port
                    return self
                time.sleep(0.02)
            process.kill()
            process.wait()
        raise RuntimeError("microsocks did not start")

    def stop(self) -> None:
        """Stop the proxy process."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    @property
    def label(self) -> str:
        """How the engine's evidence names this proxy (the user, never the password)."""
        user = f"{self.username}@" if self.username else ""
        return f"socks5://{user}{self.host}:{self.port}"

    def url(self, username: str | None = None, password: str | None = None, helo: str | None = None) -> str:
        """The `socks5://` URL of this proxy, with the given credentials (default: its own)."""
        username = self.username if username is None else username
        password = self.password if password is None else password
        # RFC 3986 §3.2.1: user information is percent-encoded.
        user = f"{quote(username, safe='')}:{quote(password, safe='')}@" if username and password else ""
        query = f"?helo={helo}" if helo else ""
        return f"socks5://{user}{self.host}:{self.port}{query}"


class DownProxy:
    """A proxy address that refuses connections: the port is bound but nothing listens on it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((host, 0))
        self.host = host
        self.port: int = self._socket.getsockname()[1]

    def url(self) -> str:
        """The `socks5://` URL of this dead proxy."""
        return f"socks5://{self.host}:{self.port}"

    def close(self) -> None:
        """Release the port."""
        self._socket.close()


class MuteProxy(DownProxy):
    """A proxy that accepts connections (the kernel completes them) but never says a word."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self._socket.listen(16)
