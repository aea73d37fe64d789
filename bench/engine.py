"""Engine benchmark: batches against the test mail farm, and the offline (syntax + lists) path.

Run from the repository root: `python bench/engine.py [--batch N] [--latency SECONDS]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.mailfarm.farm import MailFarm
from verifalia_server.engine import Engine, EngineConfig, Status, VerificationRequest

ADDRESSES = 10_000
DOMAINS = 100
OFFLINE_ADDRESSES = 100_000
TARGET_RATE = 1_000.0
TARGET_SESSIONS_PER_ADDRESS = 0.05
TARGET_PEAK_RSS_MB = 300.0
TARGET_OFFLINE_RATE = 50_000.0


def farm_addresses(count: int, seed: int = 7) -> list[str]:
    """`count` distinct addresses over the bench domains; about 70% existing mailboxes."""
    addresses = []
    for number in range(count):
        domain = f"bench-{number % DOMAINS:03d}.mailfarm.net"
        serial = number // DOMAINS
        local_part = f"user{serial % 1000}" if serial % 10 < 7 else f"ghost{serial}"
        addresses.append(f"{local_part}@{domain}")
    random.Random(seed).shuffle(addresses)
    return addresses


# Address shapes and how often each occurs: mostly plain mailboxes, as in real lists, and a tail of
# tagged, role, disposable, misspelt, quoted, commented, international and broken ones.
OFFLINE_SHAPES = (
    ("{name}@{domain}", 50),
    ("{name}.{other}@{domain}", 20),
    ("{name}+news@{domain}", 4),
    ("info@{domain}", 4),
    ("{name}@mailinator.com", 4),
    ("{name}@gmial.com", 4),
    ('"{name} {other}"@{domain}', 2),
    ("{name}(comment)@{domain}", 2),
    ("josé.{name}@bücher.de", 2),
    ("{name}..{other}@{domain}", 4),
    ("{name}{domain}", 4),
)
OFFLINE_DOMAINS = ("example.org", "gmail.com", "company.co.uk", "mail.example.net", "yahoo.fr")


def offline_addresses(count: int, seed: int = 11) -> list[str]:
    """`count` addresses drawn from OFFLINE_SHAPES with their weights."""
    rng = random.Random(seed)
    shapes = rng.choices(
        [shape for shape, _ in OFFLINE_SHAPES], [weight for _, weight in OFFLINE_SHAPES], k=count
    )
    return [
        shape.format(
            name=f"user{rng.randrange(100_000)}",
            other=f"x{rng.randrange(1000)}",
            domain=rng.choice(OFFLINE_DOMAINS),
        )
        for shape in shapes
    ]


async def bench_farm(batch_size: int, in_flight: int, latency: float) -> None:
    addresses = farm_addresses(ADDRESSES)
    async with MailFarm(latency=latency) as farm:
        engine = Engine(EngineConfig.from_env(farm.engine_environ()))
        statuses: Counter[Status] = Counter()
        slots = asyncio.Semaphore(in_flight)

        async def run_batch(start: int) -> None:
            # As the scheduler does: a bounded number of batches in flight at once.
            async with slots:
                batch = [VerificationRequest(address) for address in addresses[start : start + batch_size]]
                statuses.update(verdict.status for verdict in await engine.verify_batch(batch))

        started = time.perf_counter()
        await asyncio.gather(*(run_batch(start) for start in range(0, len(addresses), batch_size)))
        elapsed = time.perf_counter() - started
        await engine.aclose()
        hosts = {ip for number in range(DOMAINS) for ip in farm.mx_ips(f"bench-{number:03d}.mailfarm.net")}
        sessions = sum(farm.sessions_opened(ip) for ip in hosts)
        rcpts = sum(1 for ip in hosts for line in farm.transcript(ip) if line.upper().startswith("RCPT"))
    rate = len(addresses) / elapsed
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"farm: {len(addresses)} addresses over {DOMAINS} domains, batches of {batch_size} "
        f"({in_flight} in flight), {latency * 1000:.0f} ms per SMTP reply"
    )
    print(f"  verdicts: {', '.join(f'{status.value}={count}' for status, count in statuses.most_common())}")
    _report("addresses/s", rate, f">= {TARGET_RATE:,.0f}", rate >= TARGET_RATE)
    _report(
        "SMTP sessions per address",
        sessions / len(addresses),
        f"<= {TARGET_SESSIONS_PER_ADDRESS}",
        sessions / len(addresses) <= TARGET_SESSIONS_PER_ADDRESS,
    )
    print(f"  RCPT commands per address: {rcpts / len(addresses):.3f}")
    _report("peak RSS (MB)", peak_rss_mb, f"< {TARGET_PEAK_RSS_MB:.0f}", peak_rss_mb < TARGET_PEAK_RSS_MB)


def bench_offline() -> None:
    addresses = offline_addresses(OFFLINE_ADDRESSES)
    engine = Engine(EngineConfig())
    engine.verify_offline(addresses[0])
    started, cpu_started = time.perf_counter(), time.process_time()
    for address in addresses:
        engine.verify_offline(address)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"offline: {len(addresses)} generated addresses (weighted mix), syntax and lists only, one thread")
    # CPU time measures one core's worth of work even when other processes share the machine.
    rate = len(addresses) / cpu
    _report("addresses/s per CPU second", rate, f">= {TARGET_OFFLINE_RATE:,.0f}", rate >= TARGET_OFFLINE_RATE)
    print(f"  addresses/s wall clock: {len(addresses) / wall:,.0f}")


def _report(name: str, value: float, target: str, met: bool) -> None:
    print(f"  {name}: {value:,.3f} (target {target}: {'met' if met else 'MISSED'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=1000, help="addresses per verify_batch call")
    parser.add_argument("--in-flight", type=int, default=4, help="batches verified concurrently")
    parser.add_argument("--latency", type=float, default=0.02, help="farm delay per SMTP reply, seconds")
    args = parser.parse_args()
    asyncio.run(bench_farm(args.batch, args.in_flight, args.latency))
    bench_offline()


if __name__ == "__main__":
    main()
