"""`verifalia-server check`: verify addresses from the command line, one verdict line per input."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import Any

import orjson

from verifalia_server.engine import ConfigError, Engine, EngineConfig, Quality, Verdict, VerificationRequest


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
    for index, verdict in enumerate(verdicts):
        if args.json:
            out.write(orjson.dumps(entry_fields(index, verdict)).decode() + "\n")
        else:
            out.write(f"{verdict.input_data}\t{verdict.status.value}\t{verdict.classification.value}\n")
    out.flush()
    return 0


async def verify_all(engine: Engine, inputs: Sequence[str], quality: Quality) -> list[Verdict]:
    """Verify every input in batches, re-submitting temporary verdicts after their delay."""
    verdicts: list[Verdict | None] = [None] * len(inputs)
    pending = list(range(len(inputs)))
    attempt = 0
    try:
        while pending:
            requests = [VerificationRequest(inputs[index], quality, attempt) for index in pending]
            results = await engine.verify_batch(requests)
            retry: list[int] = []
            delay = 0.0
            for index, verdict in zip(pending, results, strict=True):
                verdicts[index] = verdict
                if verdict.retry_in is not None:
                    retry.append(index)
                    delay = max(delay, verdict.retry_in)
            if retry:
                await asyncio.sleep(delay)
            pending = retry
            attempt += 1
    finally:
        await engine.aclose()
    return [verdict for verdict in verdicts if verdict is not None]


def entry_fields(index: int, verdict: Verdict) -> dict[str, Any]:
    """The v2 entry fields of a verdict, plus its evidence."""
    return {
        "index": index,
        "inputData": verdict.input_data,
        "status": verdict.status.value,
        "classification": verdict.classification.value,
        "emailAddress": verdict.email_address,
        "emailAddressLocalPart": verdict.local_part,
        "emailAddressDomainPart": verdict.domain_part,
        "asciiEmailAddressDomainPart": verdict.ascii_domain_part,
        "hasInternationalMailboxName": verdict.has_international_mailbox_name,
        "hasInternationalDomainName": verdict.has_international_domain_name,
        "isDisposableEmailAddress": verdict.is_disposable,
        "isFreeEmailAddress": verdict.is_free,
        "isRoleAccount": verdict.is_role,
        "syntaxFailureIndex": verdict.syntax_failure_index,
        "suggestions": list(verdict.suggestions),
        "evidence": verdict.evidence.as_dict() if verdict.evidence is not None else None,
    }


def _inputs(arguments: Sequence[str]) -> list[str]:
    """The addresses to verify; `-` stands for the non-blank lines of standard input."""
    inputs: list[str] = []
    for argument in arguments:
        if argument == "-":
            inputs.extend(line.rstrip("\r\n") for line in sys.stdin if line.strip())
        else:
            inputs.append(argument)
    return inputs
