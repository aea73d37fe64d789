"""Engine configuration from the environment: defaults, parsing and one-line errors."""

from __future__ import annotations

import pytest

from verifalia_server.engine.config import ConfigError, EngineConfig
from verifalia_server.engine.verdict import Quality


def test_empty_environment_gives_the_documented_defaults() -> None:
    config = EngineConfig.from_env({})

    assert config.dns_servers == ()
    assert config.allow_private_mx is False
    assert config.smtp_port == 25
    assert config.helo_name
    assert config.sender == f"verifier@{config.helo_name}"
    assert config.smtp_sessions_per_host == 4
    assert config.smtp_sessions_total == 200
    assert config.retry_delays[Quality.STANDARD] == (60.0,)
    assert len(config.retry_delays[Quality.HIGH]) < len(config.retry_delays[Quality.EXTREME])


def test_every_variable_is_read() -> None:
    config = EngineConfig.from_env(
        {
            "VERIFALIA_DNS_SERVERS": "127.0.0.1:5353, 127.0.0.2 ,[::1]:53",
            "VERIFALIA_DNS_TIMEOUT": "1.5",
            "VERIFALIA_DNS_CACHE_SIZE": "10",
            "VERIFALIA_ALLOW_PRIVATE_MX": "1",
            "VERIFALIA_SMTP_PORT": "2525",
            "VERIFALIA_HELO_NAME": "probe.example.org",
            "VERIFALIA_MAIL_FROM": "bounce@example.org",
            "VERIFALIA_SMTP_CONNECT_TIMEOUT": "3",
            "VERIFALIA_SMTP_COMMAND_TIMEOUT": "4",
            "VERIFALIA_SMTP_SESSIONS_PER_HOST": "2",
            "VERIFALIA_SMTP_SESSIONS_TOTAL": "9",
            "VERIFALIA_SMTP_RECIPIENTS_PER_SESSION": "7",
            "VERIFALIA_SMTP_STARTTLS": "0",
            "VERIFALIA_RETRY_DELAYS_STANDARD": "",
            "VERIFALIA_RETRY_DELAYS_HIGH": "1,2",
            "VERIFALIA_RETRY_DELAYS_EXTREME": "1,2,3",
        }
    )

    assert config.dns_servers == (("127.0.0.1", 5353), ("127.0.0.2", 53), ("::1", 53))
    assert config.dns_timeout == 1.5
    assert config.dns_cache_size == 10
    assert config.allow_private_mx is True
    assert config.smtp_port == 2525
    assert config.helo_name == "probe.example.org"
    assert config.sender == "bounce@example.org"
    assert (config.smtp_connect_timeout, config.smtp_command_timeout) == (3.0, 4.0)
    assert (config.smtp_sessions_per_host, config.smtp_sessions_total) == (2, 9)
    assert config.smtp_recipients_per_session == 7
    assert config.smtp_starttls is False
    assert config.retry_delays == {
        Quality.STANDARD: (),
        Quality.HIGH: (1.0, 2.0),
        Quality.EXTREME: (1.0, 2.0, 3.0),
    }


def test_retry_delays_left_unset_keep_their_defaults() -> None:
    defaults = EngineConfig().retry_delays
    config = EngineConfig.from_env({"VERIFALIA_RETRY_DELAYS_HIGH": "5"})

    assert config.retry_delays == {
        Quality.STANDARD: defaults[Quality.STANDARD],
        Quality.HIGH: (5.0,),
        Quality.EXTREME: defaults[Quality.EXTREME],
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VERIFALIA_DNS_SERVERS", "resolver.example.org"),
        ("VERIFALIA_DNS_SERVERS", "127.0.0.1:port"),
        ("VERIFALIA_DNS_TIMEOUT", "soon"),
        ("VERIFALIA_SMTP_PORT", "-25"),
        ("VERIFALIA_SMTP_PORT", "25.5"),
        ("VERIFALIA_SMTP_SESSIONS_TOTAL", "many"),
        ("VERIFALIA_ALLOW_PRIVATE_MX", "maybe"),
        ("VERIFALIA_RETRY_DELAYS_HIGH", "60,five"),
        ("VERIFALIA_RETRY_DELAYS_EXTREME", "60,-1"),
    ],
)
def test_malformed_values_raise_a_config_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        EngineConfig.from_env({name: value})
