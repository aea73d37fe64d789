"""Shared pytest plugins: the test mail farm and the PostgreSQL fixtures."""

pytest_plugins = ["tests.mailfarm.fixtures", "tests.support.database"]
