"""An offline wheelhouse for the install test: the project's wheel and its runtime dependencies.

The dependencies are packed back into wheels from the distributions installed in this virtualenv (every
file their RECORD lists under site-packages), so the install script's `pip install --no-index` runs with
no network at all.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

CHECKOUT = Path(__file__).resolve().parents[2]


def _runtime_closure() -> list[metadata.Distribution]:
    """The installed distributions the project's pyproject.toml dependencies need at run time."""
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    seen: dict[str, metadata.Distribution] = {}
    pending = [Requirement(requirement) for requirement in project["dependencies"]]
    while pending:
        requirement = pending.pop()
        extras = set(requirement.extras)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        distribution = metadata.distribution(requirement.name)
        seen[name] = distribution
        for text in distribution.requires or ():
            nested = Requirement(text)
            if nested.marker is None or any(
                nested.marker.evaluate({"extra": extra}) for extra in extras | {""}
            ):
                pending.append(nested)
    return list(seen.values())


def _wheel_tag(distribution: metadata.Distribution) -> str:
    text = distribution.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip().split("-") for line in text.splitlines() if line.startswith("Tag:")]
    if not tags:
        return "py3-none-any"
    # A compressed tag set (PEP 425): `py2-none-any` and `py3-none-any` become `py2.py3-none-any`.
    pythons, abis, platforms = (".".join(dict.fromkeys(tag[part] for tag in tags)) for part in range(3))
    return f"{pythons}-{abis}-{platforms}"


def _repack(distribution: metadata.Distribution, directory: Path) -> Path:
    """Zip an installed distribution's files back into a wheel."""
    name = canonicalize_name(distribution.metadata["Name"]).replace("-", "_")
    target = directory / f"{name}-{distribution.version}-{_wheel_tag(distribution)}.whl"
    site = Path(str(distribution.locate_file("")))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        for file in distribution.files or ():
            relative = file.as_posix()
            # Scripts live outside site-packages and are generated again from entry_points.txt.
            if relative.startswith("..") or "__pycache__" in relative:
                continue
            path = site / relative
            if path.is_file():
                wheel.write(path, relative)
    return target


def build(directory: Path) -> Path:
    """Fill `directory` with the project's wheel and its dependencies' wheels; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="verifalia-source-") as source:
        # Built from a copy, so the build leaves nothing in the checkout.
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(CHECKOUT / name, source)
        shutil.copytree(CHECKOUT / "verifalia_server", Path(source) / "verifalia_server")
        pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        subprocess.run(
            [*pip, "--no-index", "--wheel-dir", str(directory), source],
            check=True,
            capture_output=True,
        )
    for distribution in _runtime_closure():
        _repack(distribution, directory)
    return directory
