"""The migrations runner: numbered plain-SQL files applied in order, each in its own transaction.

A session-level advisory lock serialises runners, so nodes that start together never race; the
`schema_migrations` table records what was applied, so a second run applies nothing.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from verifalia_server.store.database import connect

_log = logging.getLogger(__name__)

# Arbitrary constant identifying the migrations lock among the database's advisory locks.
_LOCK_KEY = 0x7665_7269_6661
_FILE_NAME = re.compile(r"^(\d{3})_[A-Za-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    """The migrations directory holds a malformed or duplicate file name."""


def migration_files(directory: Path) -> list[Path]:
    """Return the migration files of `directory`, ordered by number; reject duplicate numbers."""
    files = sorted(path for path in directory.glob("*.sql") if _FILE_NAME.match(path.name))
    numbers = [path.name[:3] for path in files]
    duplicates = sorted({number for number in numbers if numbers.count(number) > 1})
    if duplicates:
        raise MigrationError(f"duplicate migration numbers in {directory}: {', '.join(duplicates)}")
    return files


async def apply_migrations(url: str, directory: Path) -> list[str]:
    """Apply every migration of `directory` not yet recorded; return the names applied by this call."""
    files = migration_files(directory)
    connection = await connect(url)
    applied: list[str] = []
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_on timestamptz NOT NULL DEFAULT now())"
        )
        done = {row["name"] for row in await connection.fetch("SELECT name FROM schema_migrations")}
        for path in files:
            if path.name in done:
                continue
            async with connection.transaction():
                await connection.execute(path.read_text(encoding="utf-8"))
                await connection.execute("INSERT INTO schema_migrations (name) VALUES ($1)", path.name)
            _log.info("applied migration %s", path.name)
            applied.append(path.name)
    finally:
        try:
            await connection.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
        finally:
            await connection.close()
    return applied
