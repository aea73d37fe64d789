"""Engine benchmark on real Postfix: the engine and py3-validate-email on one list, same servers, one run.

Run from the repository root as root (the farm runs Debian's Postfix):
`python bench/postfix.py [--scenario bulk|throttled|both] [--latency 0.02] [--peer-threads 128]`.

- bulk: 10,000 addresses over 100 domains on 8 stock Postfix exchangers (default error limits), about
  35% missing mailboxes, every tenth domain catch-all. The engine, then the peer in its own virtualenv.
- throttled: 1,000 addresses on 8 Postfix exchangers that each allow 20 recipients and 30 connections
  per client per 10 s (anvil). The engine alone, against the time those limits allow.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import time
import venv
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.mta.farm import MtaFarm
from tests.mta.maillog import LogEvent
from tests.mta.scenario import Scenario
from tests.mta.scenarios import bulk_scenario, throttled_scenario
from verifalia_server.engine import EngineConfig, Status

PEER_PACKAGE = "py3-validate-email==1.0.5.post2"
PEER_VENV = Path(__file__).resolve().parent / ".peer-venv"
PEER_RUNNER = Path(__file__).resolve().parent / "peer_validate_email.py"
TARGET_EXACT = 1.0
TARGET_SPEEDUP = 3.0
TARGET_SESSIONS_PER_ADDRESS = 0.1
TARGET_THROTTLED_RATIO = 1.5
THROTTLE_RECIPIENTS = 20
THROTTLE_UNIT = 10.0


@dataclass(frozen=True, slots=True)
class Run:
    """What one verifier did with the list."""

    name: str
    seconds: float
    statuses: dict[str, str]
    sessions: int
    dns_queries: int

    def rate(self) -> float:
        return len(self.statuses) / self.seconds


def _sessions(farm: MtaFarm) -> tuple[int, dict[str, int]]:
    stats = farm.session_stats()
    return sum(item.opened for item in stats.values()), {
        address: item.peak for address, item in stats.items()
    }


async def run_engine(farm: MtaFarm, addresses: list[str]) -> tuple[Run, dict[str, int]]:
    """The engine as its users run it on a list: `verifalia-server check --json -`, in its own process."""
    opened_before, _ = _sessions(farm)
    queries_before = farm.dns_queries
    started = time.perf_counter()
    check = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "verifalia_server",
        "check",
        "--json",
        "-",
        env={**os.environ, **farm.engine_environ()},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await check.communicate("\n".join(addresses).encode())
    seconds = time.perf_counter() - started
    if check.returncode != 0:
        raise RuntimeError(f"verifalia-server check exited with status {check.returncode}")
    opened_after, peaks = _sessions(farm)
    entries = [json.loads(line) for line in stdout.splitlines()]
    statuses = {entry["inputData"]: entry["status"] for entry in entries}
    run = Run("engine", seconds, statuses, opened_after - opened_before, farm.dns_queries - queries_before)
    return run, peaks


def _peer_python() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        venv.create(PEER_VENV, with_pip=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", PEER_PACKAGE], check=True)
    return python


async def run_peer(farm: MtaFarm, addresses: list[str], threads: int) -> Run:
    """py3-validate-email in its own virtualenv: True is taken as Success, False as MailboxDoesNotExist.

    It runs as a child process while this loop keeps serving the farm's DNS and relay.
    """
    environ = farm.engine_environ()
    dns_ip, dns_port = farm.dns_server
    python = await asyncio.to_thread(_peer_python)
    opened_before, _ = _sessions(farm)
    queries_before = farm.dns_queries
    peer = await asyncio.create_subprocess_exec(
        python,
        PEER_RUNNER,
        dns_ip,
        str(dns_port),
        str(farm.smtp_port),
        str(threads),
        environ["VERIFALIA_HELO_NAME"],
        environ["VERIFALIA_MAIL_FROM"],
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await peer.communicate("\n".join(addresses).encode())
    if peer.returncode != 0:
        raise RuntimeError(f"py3-validate-email exited with status {peer.returncode}")
    opened_after, _ = _sessions(farm)
    output = json.loads(stdout)
    verdicts = {True: Status.SUCCESS.value, False: Status.MAILBOX_DOES_NOT_EXIST.value, None: "Unknown"}
    statuses = {address: verdicts[result] for address, result in output["results"].items()}
    queries = farm.dns_queries - queries_before
    return Run("py3-validate-email", output["seconds"], statuses, opened_after - opened_before, queries)


def exact_share(run: Run, expected: Mapping[str, Status]) -> float:
    return sum(run.statuses.get(address) == status.value for address, status in expected.items()) / len(
        expected
    )


def existence_share(run: Run, expected: Mapping[str, Status]) -> float:
    """Share of mailboxes whose existence is right (a catch-all mailbox counts as existing)."""
    exists = {Status.SUCCESS.value, Status.SERVER_IS_CATCH_ALL.value}
    return sum(
        (run.statuses.get(address) in exists) == (status.value in exists)
        for address, status in expected.items()
    ) / len(expected)


def report(run: Run, expected: Mapping[str, Status]) -> None:
    count = len(expected)
    wrong = Counter(
        f"{status.value}->{run.statuses.get(address)}"
        for address, status in expected.items()
        if run.statuses.get(address) != status.value
    )
    print(f"  {run.name}: {count} addresses in {run.seconds:.1f} s")
    print(f"    addresses/s: {run.rate():,.0f}")
    print(
        f"    exact statuses: {exact_share(run, expected):.2%}; "
        f"mailbox existence right: {existence_share(run, expected):.2%}"
    )
    print(f"    SMTP sessions per address: {run.sessions / count:.3f}")
    print(f"    DNS queries per address: {run.dns_queries / count:.4f}")
    if wrong:
        print(f"    wrong: {', '.join(f'{key}={value}' for key, value in wrong.most_common(6))}")


def _verdict(name: str, met: bool) -> str:
    return f"{name}: {'met' if met else 'MISSED'}"


async def bench_bulk(latency: float, threads: int) -> None:
    scenario = bulk_scenario()
    addresses = list(scenario.expected)
    async with MtaFarm(scenario, latency=latency) as farm:
        cap = EngineConfig.from_env(farm.engine_environ()).smtp_sessions_per_host
        print(
            f"bulk: {len(addresses)} addresses over {len(scenario.domains)} domains on {len(scenario.hosts)} "
            f"stock Postfix exchangers, {latency * 1000:.0f} ms round trip"
        )
        engine, peaks = await run_engine(farm, addresses)
        peer = await run_peer(farm, addresses, threads)
        postfix_errors = farm.log.count(LogEvent.TOO_MANY_ERRORS)
    for run in (engine, peer):
        report(run, scenario.expected)
    speedup = engine.rate() / peer.rate()
    print(f"  ratio engine/peer addresses/s: {speedup:.2f}x")
    print(f"  engine: most concurrent sessions on one MX: {max(peaks.values())} (configured {cap})")
    print(f"  Postfix 'too many errors' disconnections: {postfix_errors}")
    print(
        "  targets: "
        + "; ".join(
            [
                _verdict("100% exact", exact_share(engine, scenario.expected) >= TARGET_EXACT),
                _verdict(f">= {TARGET_SPEEDUP}x peer", speedup >= TARGET_SPEEDUP),
                _verdict(
                    f"<= {TARGET_SESSIONS_PER_ADDRESS} sessions/address",
                    engine.sessions / len(addresses) <= TARGET_SESSIONS_PER_ADDRESS,
                ),
                _verdict("sessions per MX within the cap", max(peaks.values()) <= cap),
            ]
        )
    )


def allowed_seconds(scenario: Scenario) -> float:
    """The time the exchangers' rate limits need at least: every window full, recipients and probes."""
    per_host: Counter[str] = Counter()
    for address in scenario.expected:
        per_host[scenario.domain(address.rpartition("@")[2]).exchangers[0]] += 1
    for domain in scenario.domains:
        per_host[domain.exchangers[0]] += 1  # one catch-all probe per domain
    windows = max(math.ceil(count / THROTTLE_RECIPIENTS) for count in per_host.values())
    return (windows - 1) * THROTTLE_UNIT


async def bench_throttled(latency: float) -> None:
    scenario = throttled_scenario(recipients=THROTTLE_RECIPIENTS)
    addresses = list(scenario.expected)
    async with MtaFarm(scenario, latency=latency) as farm:
        print(
            f"throttled: {len(addresses)} addresses on {len(scenario.hosts)} Postfix exchangers allowing "
            f"{THROTTLE_RECIPIENTS} recipients per client per {THROTTLE_UNIT:.0f} s, "
            f"{latency * 1000:.0f} ms round trip"
        )
        engine, _ = await run_engine(farm, addresses)
        throttles = farm.log.count(LogEvent.RECIPIENT_RATE)
    report(engine, scenario.expected)
    allowed = allowed_seconds(scenario)
    ratio = engine.seconds / allowed
    print(f"  the limits allow it in {allowed:.0f} s; engine took {ratio:.2f}x that")
    print(f"  Postfix 'too many recipients from' replies: {throttles}")
    print(
        "  targets: "
        + "; ".join(
            [
                _verdict("100% exact", exact_share(engine, scenario.expected) >= TARGET_EXACT),
                _verdict(
                    f"within {TARGET_THROTTLED_RATIO}x the time allowed", ratio <= TARGET_THROTTLED_RATIO
                ),
            ]
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", choices=["bulk", "throttled", "both"], default="both")
    parser.add_argument("--latency", type=float, default=0.02, help="round-trip seconds the relay adds")
    parser.add_argument("--peer-threads", type=int, default=128)
    args = parser.parse_args()
    if args.scenario in {"bulk", "both"}:
        asyncio.run(bench_bulk(args.latency, args.peer_threads))
    if args.scenario in {"throttled", "both"}:
        asyncio.run(bench_throttled(args.latency))


if __name__ == "__main__":
    main()
