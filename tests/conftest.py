"""Shared pytest plugins: the test mail farm, the Postfix farm and the PostgreSQL fixtures."""

pytest_plugins = ["tests.mailfarm.fixtures", "tests.mta.fixtures", "tests.support.database"]
