"""Node.js scripts that drive the official `verifalia` npm SDK (installed in tests/sdk/node_modules)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

SDK_DIR = Path(__file__).resolve().parent.parent / "sdk"


def node_executable() -> str:
    """The `node` binary, after installing the SDK with `npm ci` when it is missing; fail without Node.js."""
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        pytest.fail(
            "Node.js 18+ and npm are required for the SDK tests: install them (e.g. apt install nodejs npm)."
        )
    if not (SDK_DIR / "node_modules" / "verifalia").is_dir():
        install = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=SDK_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if install.returncode != 0:
            pytest.fail(f"`npm ci` in {SDK_DIR} failed:\n{install.stderr}")
    return node


async def run_node_script(
    script: Path, *arguments: str, environ: Mapping[str, str], time_limit: float = 60
) -> Any:
    """Run `script` with node, the SDK on its NODE_PATH and `environ` added to this process's environment,
    and return the JSON it prints; fail the test when it exits non-zero or outlasts `time_limit` seconds."""
    process = await asyncio.create_subprocess_exec(
        node_executable(),
        str(script),
        *arguments,
        env={**os.environ, "NODE_PATH": str(SDK_DIR / "node_modules"), **environ},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), time_limit)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"{script.name} {' '.join(arguments)} did not finish within {time_limit:g} s")
    if process.returncode != 0:
        pytest.fail(f"{script.name} {' '.join(arguments)} failed:\n{stderr.decode()}")
    return json.loads(stdout)
