"""A daemon run in the foreground under `tests.mta.supervise`, owned by the event loop that started it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

_STOP_TIMEOUT = 10.0
_SUPERVISOR = Path(__file__).with_name("supervise.py")


class SupervisedProcess:
    """Starts `command` under the supervisor (run by path: it needs only the standard library).

    `stop()`, or the death of this process, ends the command and all its descendants.
    """

    def __init__(self, command: list[str], output: Path) -> None:
        self._command = command
        self._output = output
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start the supervisor; the command's output goes to the `output` file."""
        with self._output.open("ab") as output:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(_SUPERVISOR),
                *self._command,
                stdin=asyncio.subprocess.PIPE,
                stdout=output,
                stderr=output,
            )

    @property
    def running(self) -> bool:
        """Whether the supervised command is still running."""
        return self._process is not None and self._process.returncode is None

    def output(self) -> str:
        """Everything the command wrote to stdout and stderr so far."""
        return self._output.read_text(errors="replace") if self._output.exists() else ""

    async def stop(self) -> None:
        """Close the supervisor's stdin and wait until it has reaped every descendant."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), _STOP_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
