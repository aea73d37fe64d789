"""Run a command as a supervised process group: `python -m tests.mta.supervise COMMAND [ARGS...]`.

The group ends when this process's standard input closes (its owner stopped it or died) or on SIGTERM,
and every descendant is reaped here (a child subreaper), so nothing, not even a zombie, is left behind
under an init that does not reap orphans.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

_PR_SET_CHILD_SUBREAPER = 36  # prctl(2)
_POLL_INTERVAL = 0.05
_GRACE_SECONDS = 5.0


def _become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def _reap_all(group: int) -> None:
    """Signal the group, then reap every descendant; SIGKILL what is left after the grace period."""
    deadline = time.monotonic() + _GRACE_SECONDS
    signum = signal.SIGTERM
    while True:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signum)
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        if time.monotonic() > deadline:
            signum = signal.SIGKILL
        time.sleep(_POLL_INTERVAL)


def main(argv: Sequence[str]) -> int:
    """Start `argv` in a new session and supervise it until told to stop; its exit status, or 0."""
    if not argv:
        print("usage: python -m tests.mta.supervise COMMAND [ARGS...]", file=sys.stderr)
        return 2
    _become_subreaper()
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    child = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, start_new_session=True)
    selector = selectors.DefaultSelector()
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ)
    status = 0
    while not stopping:
        if any(os.read(key.fd, 1) == b"" for key, _mask in selector.select(_POLL_INTERVAL)):
            break
        exited = child.poll()
        if exited is not None:
            status = exited
            break
    _reap_all(child.pid)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
