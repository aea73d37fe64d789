"""Schemathesis against a live node's own `/openapi.json`: no 5xx, no response outside the description.

Every check runs (`--checks all`: server errors, status codes, content types, response schemas and headers,
positive and negative data, stateful links); the deliberate exclusions are in `schemathesis.toml` beside
this file and in the README. The node runs without a scheduler, so no job completes and no callback is
ever delivered; its DNS questions (callback hosts included) go to the test farm on loopback.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.mailfarm.farm import MailFarm
from tests.support.cluster import run_cluster
from tests.support.database import create_test_account

pytestmark = pytest.mark.timeout(240)

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
FUZZ_SECONDS = 60
SEED = 20261206


async def test_schemathesis_finds_nothing_against_the_live_description(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm
) -> None:
    account = await create_test_account(pool)
    environ = {**mail_farm.engine_environ(), "VERIFALIA_SCHEDULER": "0"}
    async with run_cluster(database_url, environ, count=1) as cluster:
        (node,) = cluster.nodes
        process = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS),
            "--config-file",
            str(CONFIG),
            "run",
            f"{node.url}/openapi.json",
            "--auth",
            f"{account.sid}:{account.token}",
            "--checks",
            "all",
            "--max-time",
            str(FUZZ_SECONDS),
            "--workers",
            "1",
            "--seed",
            str(SEED),
            "--no-color",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output = (await process.communicate())[0].decode("utf-8", errors="replace")
        log = node.log_path.read_text(encoding="utf-8", errors="replace")
    generated = re.search(r"(\d+) generated", output)
    assert generated is not None, output[-3000:]
    assert int(generated.group(1)) > 300, output[-3000:]
    assert process.returncode == 0, output[-6000:]
    assert "unhandled error" not in log
    assert "Traceback" not in log
