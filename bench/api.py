"""API benchmark: two real nodes on one database; submission, snapshot, GET throughput, node memory.

Run from the repository root: `python bench/api.py [--entries N] [--seconds S] [--connections C]`.
Uses DATABASE_URL when set (creating and dropping its own database), else a temporary embedded PostgreSQL.
Every address is decided without the network (RFC 2606 names and syntax failures), so the figures measure
the service, not remote mail servers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.cluster import run_cluster
from tests.support.database import with_database
from verifalia_server.settings import ServiceSettings
from verifalia_server.store.accounts import create_account
from verifalia_server.store.database import create_pool, start_embedded, stop_embedded
from verifalia_server.store.migrations import apply_migrations

TARGET_SUBMIT_SECONDS = 3.0
TARGET_SNAPSHOT_SECONDS = 3.0
TARGET_GET_RATE = 1_000.0
TARGET_PEAK_RSS_MB = 500.0
NODE_ENVIRON = {
    # The bench drives each node from one IP with many connections.
    "VERIFALIA_MAX_CONCURRENT_REQUESTS_PER_IP": "1000",
    "VERIFALIA_V1_SUBMIT_WAIT": "0",
    "VERIFALIA_SCHEDULER_BATCH_SIZE": "2000",
    "VERIFALIA_SCHEDULER_POLL_SECONDS": "0.1",
    # Nothing here needs DNS; point it at a closed loopback port so no query can leave the machine.
    "VERIFALIA_DNS_SERVERS": "127.0.0.1:9",
    "VERIFALIA_POOL_MAX_SIZE": "20",
}


class RssSampler:
    """Samples the resident memory of the node processes in a background thread; keeps the peaks."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.peaks = dict.fromkeys(pids, 0)
        self._processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, process in self._processes.items():
                try:
                    self.peaks[name] = max(self.peaks[name], process.memory_info().rss)
                except psutil.NoSuchProcess:
                    continue
            self._stop.wait(0.05)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def inputs(count: int) -> list[str]:
    return [
        f"user{index}@example.com" if index % 10 else f"broken{index}@@example.com" for index in range(count)
    ]


async def submit(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], count: int
) -> tuple[str, float]:
    body = orjson.dumps({"entries": [{"inputData": text} for text in inputs(count)]})
    started = time.perf_counter()
    async with session.post(
        f"{url}/v1.4/email-validations", data=body, headers={**headers, "Content-Type": "application/json"}
    ) as response:
        assert response.status in (200, 202), await response.text()
        job_id: str = (await response.json())["uniqueID"]
    return job_id, time.perf_counter() - started


async def wait_completed(pool: asyncpg.Pool[Any], job_id: str) -> float:
    started = time.perf_counter()
    for _ in range(6000):
        if await pool.fetchval("SELECT status FROM jobs WHERE id = $1::uuid", job_id) == "Completed":
            return time.perf_counter() - started
        await asyncio.sleep(0.1)
    raise TimeoutError(f"job {job_id} not completed within 10 minutes")


async def fetch_snapshot(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], job_id: str
) -> tuple[float, int]:
    started = time.perf_counter()
    async with session.get(f"{url}/v1.4/email-validations/{job_id}", headers=headers) as response:
        assert response.status == 200
        body = await response.read()
    elapsed = time.perf_counter() - started
    return elapsed, len(orjson.loads(body)["entries"])


async def get_rate(url: str, headers: dict[str, str], job_id: str, seconds: float, connections: int) -> float:
    done = 0
    target = f"{url}/v1.4/email-validations/{job_id}"
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with session.get(target, headers=headers) as response:
                    await response.read()
                    assert response.status == 200
                    done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return done / (time.perf_counter() - started)


async def run(database_url: str, args: argparse.Namespace) -> int:
    await apply_migrations(database_url, ServiceSettings().migrations_dir)
    pool = await create_pool(database_url, min_size=1, max_size=4)
    _account, credentials = await create_account(pool, "bench", credits=Decimal(10_000_000))
    headers = {"Authorization": aiohttp.encode_basic_auth(credentials.sid, credentials.token)}
    failures = 0
    try:
        async with run_cluster(database_url, NODE_ENVIRON) as cluster, aiohttp.ClientSession() as session:
            api_1, api_2 = cluster.urls
            pids = {node.node_id: node.process.pid for node in cluster.nodes}
            with RssSampler(pids) as sampler:
                big_job, submit_seconds = await submit(session, api_1, headers, args.entries)
                processing_seconds = await wait_completed(pool, big_job)
                snapshot_seconds, returned = await fetch_snapshot(session, api_2, headers, big_job)
                small_job, _ = await submit(session, api_1, headers, 100)
                await wait_completed(pool, small_job)
                rates = {
                    node.node_id: await get_rate(node.url, headers, small_job, args.seconds, args.connections)
                    for node in cluster.nodes
                }
            print(
                f"{args.entries:,}-entry submission accepted in {submit_seconds:.2f} s"
                f" (target < {TARGET_SUBMIT_SECONDS} s)"
            )
            print(
                f"{args.entries:,} entries processed by both nodes in {processing_seconds:.1f} s "
                f"({args.entries / processing_seconds:,.0f} entries/s)"
            )
            print(
                f"complete snapshot of {returned:,} entries served in {snapshot_seconds:.2f} s "
                f"(target < {TARGET_SNAPSHOT_SECONDS} s)"
            )
            for node_id, rate in rates.items():
                print(
                    f"GET of a finished 100-entry job on {node_id}: {rate:,.0f} requests/s "
                    f"({args.connections} connections; target >= {TARGET_GET_RATE:,.0f})"
                )
            for node_id, peak in sampler.peaks.items():
                print(f"peak RSS of {node_id}: {peak / 2**20:.0f} MB (target < {TARGET_PEAK_RSS_MB:.0f} MB)")
            failures += submit_seconds >= TARGET_SUBMIT_SECONDS
            failures += snapshot_seconds >= TARGET_SNAPSHOT_SECONDS
            failures += returned != args.entries
            failures += sum(rate < TARGET_GET_RATE for rate in rates.values())
            failures += sum(peak / 2**20 >= TARGET_PEAK_RSS_MB for peak in sampler.peaks.values())
    finally:
        await pool.close()
    print("all targets met" if not failures else f"{failures} target(s) missed")
    return 1 if failures else 0


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each GET load run")
    parser.add_argument("--connections", type=int, default=16, help="concurrent client connections")
    args = parser.parse_args()
    external = os.environ.get("DATABASE_URL")
    if external:
        name = f"verifalia_bench_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(external)
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            return await run(with_database(external, name), args)
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await admin.close()
    workdir = Path(tempfile.mkdtemp(prefix="verifalia-bench-"))
    try:
        url = await asyncio.to_thread(start_embedded, workdir / "pgdata")
        return await run(url, args)
    finally:
        await asyncio.to_thread(stop_embedded, (workdir / "pgdata").resolve())
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
