"""The dependency direction, checked on the source: what each package may import, and where SQL may live."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "verifalia_server"
# The engine is a pure library: it turns addresses into verdicts and knows no service around it.
ENGINE_FORBIDDEN = (
    "verifalia_server.api",
    "verifalia_server.service",
    "verifalia_server.store",
    "verifalia_server.scheduler",
    "verifalia_server.web",
    "verifalia_server.cli",
    "verifalia_server.node",
    "verifalia_server.settings",
    "aiohttp.web",
    "asyncpg",
    "pydantic_settings",
)
# The API knows nothing of SMTP or SQL: it reaches verdicts through the engine's entry point and data
# through the application layer and the store.
API_FORBIDDEN = ("verifalia_server.engine.smtp", "smtplib", "asyncpg")
# SQL statements as they are written in store/: a keyword, then what must follow it.
_SQL = re.compile(
    r"\b(SELECT\s+[\w*(].*\bFROM\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+(AS\s+\w+\s+)?SET\b|DELETE\s+FROM\b"
    r"|CREATE\s+(TABLE|INDEX)\b|pg_notify|FOR\s+UPDATE)",
    re.DOTALL,
)


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def _imports(path: Path) -> Iterator[str]:
    """Every module a file imports, `from x import y` giving both `x` and `x.y`."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in _modules(folder)
        for name in _imports(path)
        if any(name == banned or name.startswith(f"{banned}.") for banned in forbidden)
    ]


def test_the_checks_see_the_packages_they_guard() -> None:
    assert len(_modules("engine")) > 10
    assert len(_modules("api")) > 10
    assert "verifalia_server.engine.verdict" in set(_imports(PACKAGE / "engine" / "engine.py"))


def test_the_engine_imports_nothing_of_the_service() -> None:
    assert _violations("engine", ENGINE_FORBIDDEN) == []


@pytest.mark.parametrize("folder", ["api", "service", "web"])
def test_the_api_and_the_application_layer_know_nothing_of_smtp_or_the_database_driver(folder: str) -> None:
    assert _violations(folder, API_FORBIDDEN) == []


def test_an_import_across_the_line_is_caught(tmp_path: Path) -> None:
    module = tmp_path / "leak.py"
    module.write_text("from verifalia_server.store.jobs import get_job\nimport asyncpg\n", encoding="utf-8")
    assert set(_imports(module)) >= {"verifalia_server.store.jobs.get_job", "asyncpg"}


def _sql_literals(path: Path) -> Iterator[str]:
    """The string literals of a file that hold SQL; docstrings, which may describe SQL, are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and _SQL.search(node.value)
        ):
            yield node.value


def test_sql_is_written_only_in_the_store() -> None:
    outside = [
        f"{path.relative_to(PACKAGE.parent)}: {text[:60]!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "store" not in path.relative_to(PACKAGE).parts
        for text in _sql_literals(path)
    ]
    assert outside == []


def test_the_sql_pattern_matches_the_store_statements() -> None:
    found = [text for path in _modules("store") for text in _sql_literals(path)]
    assert any(text.lstrip().startswith("UPDATE entries AS e SET") for text in found)
    assert any("INSERT INTO" in text for text in found)
    assert not _SQL.search("Select the rows to update from the form, then delete from the list.")


def test_the_callback_dispatcher_knows_nothing_of_the_api() -> None:
    assert len(_modules("callbacks")) >= 2
    assert _violations("callbacks", ("verifalia_server.api", "verifalia_server.cli", "aiohttp.web")) == []
