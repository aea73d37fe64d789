"""Real `verifalia-server serve` node subprocesses on free loopback ports, for multi-node tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ClusterNode:
    """One node subprocess."""

    node_id: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        """The end of the node's log, for failure messages."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Cluster:
    """N nodes sharing one database."""

    database_url: str
    environ: Mapping[str, str]
    nodes: list[ClusterNode] = field(default_factory=list)
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="verifalia-cluster-")))

    @property
    def urls(self) -> list[str]:
        """The base URLs of the nodes, in start order."""
        return [node.url for node in self.nodes]

    def start_node(self, node_id: str) -> ClusterNode:
        """Spawn one node (not waiting for it to be ready)."""
        port = free_port()
        log_path = self.log_dir / f"{node_id}.log"
        environ = {
            **os.environ,
            "VERIFALIA_LOG_LEVEL": "WARNING",
            **self.environ,
            "DATABASE_URL": self.database_url,
        }
        command = [sys.executable, "-m", "verifalia_server", "serve", "--node-id", node_id]
        command += ["--port", str(port)]
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, env=environ, stdout=log, stderr=subprocess.STDOUT)
        node = ClusterNode(node_id, f"http://127.0.0.1:{port}", process, log_path)
        self.nodes.append(node)
        return node

    async def wait_ready(self, node: ClusterNode) -> None:
        """Wait until the node's /health answers 200."""
        deadline = time.monotonic() + _START_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if node.process.poll() is not None:
                    raise RuntimeError(f"{node.node_id} exited:\n{node.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{node.url}/health") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{node.node_id} not ready after {_START_TIMEOUT} s:\n{node.log_tail()}")

    def kill(self, node: ClusterNode) -> None:
        """kill -9 the node."""
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()

    async def stop(self) -> None:
        """Stop every node still running (SIGTERM, then SIGKILL after a grace period)."""
        for node in self.nodes:
            if node.process.poll() is None:
                node.process.terminate()
        deadline = time.monotonic() + _STOP_TIMEOUT
        for node in self.nodes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(node.process.wait, max(0.1, deadline - time.monotonic()))
            if node.process.poll() is None:
                self.kill(node)


@contextlib.asynccontextmanager
async def run_cluster(
    database_url: str, environ: Mapping[str, str], count: int = 2
) -> AsyncIterator[Cluster]:
    """Start `count` nodes (api-1, api-2, ...) on one database, wait for their health; stop them after."""
    cluster = Cluster(database_url, environ)
    try:
        nodes = [cluster.start_node(f"api-{number}") for number in range(1, count + 1)]
        await asyncio.gather(*(cluster.wait_ready(node) for node in nodes))
        yield cluster
    finally:
        await cluster.stop()
