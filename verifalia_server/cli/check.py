"""`verifalia-server check`: verify addresses from the command line, one verdict line per input."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import orjson

from verifalia_server.api.shared.entry import entry
from verifalia_server.engine import ConfigError, Engine, EngineConfig, Quality, Verdict, VerificationRequest
from verifalia_server.store.entries import StoredEntry


def register(subparsers: Any) -> None:
    """Add the `check` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="verify email addresses and print one verdict per input",
        description="Verify email addresses with the engine configured by the VERIFALIA_* environment.",
    )
    parser.add_argument(
        "--quality",
        type=str.lower,
        choices=[quality.value.lower() for quality in Quality],
        default=Quality.STANDARD.value.lower(),
        help="retry schedule for temporary failures (default: standard)",
    )
    parser.add_argument("--offline", action="store_true", help="syntax and list checks only, no network")
    parser.add_argument("--json", action="store_true", help="one JSON object per line (v2 entry fields)")
    parser.add_argument("addresses", nargs="+", metavar="ADDRESS", help="an address, or - to read stdin")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Verify the addresses and print the verdicts; 2 on a configuration error, else 0."""
    try:
        engine = Engine(EngineConfig.from_env(os.environ))
    except ConfigError as error:
        print(f"verifalia-server check: {error}", file=sys.stderr)
        return 2
    inputs = _inputs(args.addresses)
    quality = Quality.parse(args.quality)
    if args.offline:
        verdicts = [engine.verify_offline(text) for text in inputs]
    else:
        verdicts = asyncio.run(verify_all(engine, inputs, quality))
    out = sys.stdout
    completed_on = dt.datetime.now(dt.UTC)
    for index, verdict in enumerate(verdicts):
        if args.json:
            out.write(orjson.dumps(entry_fields(index, verdict, completed_on)).decode() + "\n")
        else:
            out.write(f"{verdict.input_data}\t{verdict.status.value}\t{verdict.classification.value}\n")
    out.flush()
    return 0


# Temporary verdicts due again within this many seconds of each other are re-submitted in one batch.
_COALESCE_SECONDS = 1.0


async def verify_all(engine: Engine, inputs: Sequence[str], quality: Quality) -> list[Verdict]:
    """Verify every input, re-submitting each temporary verdict once its delay has passed.

    Entries that come due are verified at once in a batch of their own, while earlier batches still run.
    """
    verdicts: list[Verdict | None] = [None] * len(inputs)
    attempts = [0] * len(inputs)
    due_at = dict.fromkeys(range(len(inputs)), 0.0)
    submitted_at = time.time()
    loop = asyncio.get_running_loop()
    running: set[asyncio.Task[tuple[list[int], list[Verdict]]]] = set()

    async def verify(indexes: list[int]) -> tuple[list[int], list[Verdict]]:
        requests = [
            VerificationRequest(inputs[index], quality, attempts[index], submitted_at) for index in indexes
        ]
        return indexes, await engine.verify_batch(requests)

    try:
        while due_at or running:
            now = loop.time()
            # Entries due within a moment of each other go together, so they share sessions.
            due = [index for index, at in due_at.items() if at <= now + _COALESCE_SECONDS]
            for index in due:
                del due_at[index]
            if due:
                running.add(asyncio.create_task(verify(due)))
            wait = min(due_at.values()) - now if due_at else None
            if not running:
                await asyncio.sleep(wait or 0.0)
                continue
            done, running = await asyncio.wait(running, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                indexes, results = task.result()
                finished = loop.time()
                for index, verdict in zip(indexes, results, strict=True):
                    verdicts[index] = verdict
                    if verdict.retry_in is not None:
                        due_at[index] = finished + verdict.retry_in
                        # Waiting for a throttling exchanger is no attempt of the quality level's schedule.
                        attempts[index] += 0 if verdict.deferred else 1
    finally:
        for task in running:
            task.cancel()
        await engine.aclose()
    return [verdict for verdict in verdicts if verdict is not None]


def entry_fields(index: int, verdict: Verdict, completed_on: dt.datetime) -> dict[str, Any]:
    """The v2 entry of a verdict, rendered as the API renders it, with its evidence."""
    return entry(StoredEntry.from_verdict(index, verdict, completed_on), with_evidence=True)


def _inputs(arguments: Sequence[str]) -> list[str]:
    """The addresses to verify; `-` stands for the non-blank lines of standard input."""
    inputs: list[str] = []
    for argument in arguments:
        if argument == "-":
            inputs.extend(line.rstrip("\r\n") for line in sys.stdin if line.strip())
        else:
            inputs.append(argument)
    return inputs
