"""Postfix texthash lookup tables (access maps) written for a farm's listeners to read."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

# Postfix waits until a table it opens is older than its last second, in case it is still being written:
# tables that look a minute old are read at once
_SETTLED_AGE = 60.0


def write_texthash(directory: Path, name: str, entries: Mapping[str, str]) -> Path:
    """Write `key value` lines to `directory/name`, readable by Postfix; the file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    path = directory / name
    path.write_text("".join(f"{key} {value}\n" for key, value in entries.items()), encoding="utf-8")
    path.chmod(0o644)
    settled = time.time() - _SETTLED_AGE
    os.utime(path, (settled, settled))
    return path
