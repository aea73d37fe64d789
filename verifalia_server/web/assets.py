"""Where the web client's files live: its own sources, and the npm libraries installed beside them."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
STATIC_DIR = _HERE / "static"
NODE_MODULES = _HERE / "node_modules"

# The browser builds of the npm dependencies (package.json), by the name the pages load them under.
VENDOR_FILES = {
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "papaparse.min.js": "papaparse/papaparse.min.js",
    "read-excel-file.min.js": "read-excel-file/bundle/read-excel-file.min.js",
}


def static_file(relative: str) -> Path | None:
    """The client source at `relative` inside the static folder, or None when there is no such file."""
    candidate = (STATIC_DIR / relative).resolve()
    if not candidate.is_relative_to(STATIC_DIR) or not candidate.is_file():
        return None
    return candidate


def vendor_file(name: str) -> Path | None:
    """The installed library file served as `name`, or None when unknown or not installed."""
    relative = VENDOR_FILES.get(name)
    if relative is None:
        return None
    candidate = NODE_MODULES / relative
    return candidate if candidate.is_file() else None


def missing_vendor_files() -> list[str]:
    """The library files that are not installed (`npm ci` in this folder installs them)."""
    return [relative for relative in VENDOR_FILES.values() if not (NODE_MODULES / relative).is_file()]
