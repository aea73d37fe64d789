"""The migrations runner: ordered, recorded, idempotent, and race-free between concurrent runners."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.support.database import MIGRATIONS_DIR, PostgresServer
from verifalia_server.store.migrations import MigrationError, apply_migrations, migration_files

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def empty_database(postgres_server: PostgresServer) -> AsyncIterator[str]:
    name = f"verifalia_empty_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.database_url(name)
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def test_migrations_apply_once_in_order(empty_database: str) -> None:
    expected = [path.name for path in migration_files(MIGRATIONS_DIR)]
    assert expected[0].startswith("001_")
    assert await apply_migrations(empty_database, MIGRATIONS_DIR) == expected
    assert await apply_migrations(empty_database, MIGRATIONS_DIR) == []
    connection = await asyncpg.connect(empty_database)
    try:
        recorded = [
            row["name"] for row in await connection.fetch("SELECT name FROM schema_migrations ORDER BY name")
        ]
        assert recorded == expected
        assert await connection.fetchval("SELECT to_regclass('entries') IS NOT NULL")
    finally:
        await connection.close()


async def test_two_runners_starting_together_never_race(empty_database: str) -> None:
    first, second = await asyncio.gather(
        apply_migrations(empty_database, MIGRATIONS_DIR), apply_migrations(empty_database, MIGRATIONS_DIR)
    )
    everything = [path.name for path in migration_files(MIGRATIONS_DIR)]
    assert sorted(first + second) == everything


async def test_a_failing_migration_rolls_back_and_is_not_recorded(
    empty_database: str, tmp_path: Path
) -> None:
    (tmp_path / "001_good.sql").write_text("CREATE TABLE good (id int);")
    (tmp_path / "002_bad.sql").write_text("CREATE TABLE half (id int); SELECT no_such_column FROM good;")
    with pytest.raises(asyncpg.UndefinedColumnError):
        await apply_migrations(empty_database, tmp_path)
    connection = await asyncpg.connect(empty_database)
    try:
        assert [row["name"] for row in await connection.fetch("SELECT name FROM schema_migrations")] == [
            "001_good.sql"
        ]
        assert await connection.fetchval("SELECT to_regclass('half') IS NULL")
    finally:
        await connection.close()


def test_duplicate_migration_numbers_are_refused(tmp_path: Path) -> None:
    (tmp_path / "001_one.sql").write_text("SELECT 1;")
    (tmp_path / "001_other.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="001"):
        migration_files(tmp_path)
