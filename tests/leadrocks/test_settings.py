"""LeadRocks settings from the environment, and per-app limits over the defaults."""

from __future__ import annotations

import pytest

from verifalia_server.engine.config import ConfigError
from verifalia_server.settings import LeadRocksSettings, Limits
from verifalia_server.store.apps import AppLimits


def test_defaults() -> None:
    assert LeadRocksSettings.from_env({}) == LeadRocksSettings(30.0, 5, 60, 600)


def test_environment_overrides() -> None:
    settings = LeadRocksSettings.from_env(
        {
            "VERIFALIA_LEADROCKS_VERIFY_TIMEOUT": "2.5",
            "VERIFALIA_LEADROCKS_MAX_CONCURRENT_LISTS": "0",
            "VERIFALIA_LEADROCKS_VERIFIES_PER_MINUTE": "7",
            "VERIFALIA_LEADROCKS_REQUESTS_PER_MINUTE": " 9 ",
        }
    )
    assert settings == LeadRocksSettings(2.5, 0, 7, 9)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VERIFALIA_LEADROCKS_VERIFY_TIMEOUT", "soon"),
        ("VERIFALIA_LEADROCKS_VERIFY_TIMEOUT", "0"),
        ("VERIFALIA_LEADROCKS_MAX_CONCURRENT_LISTS", "-1"),
        ("VERIFALIA_LEADROCKS_VERIFIES_PER_MINUTE", "1.5"),
        ("VERIFALIA_LEADROCKS_REQUESTS_PER_MINUTE", "many"),
    ],
)
def test_malformed_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        LeadRocksSettings.from_env({name: value})


def test_app_limits_override_the_defaults_where_set() -> None:
    settings = LeadRocksSettings(30.0, 5, 60, 600)
    assert settings.limits_for(AppLimits()) == Limits(5, 60, 600)
    assert settings.limits_for(AppLimits(0, None, 3)) == Limits(0, 60, 3)
