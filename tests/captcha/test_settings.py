"""The CAPTCHA settings: the providers' real endpoints by default, each secret and URL from its variable."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from verifalia_server.captcha.config import CaptchaConfig, Provider, ProviderConfig
from verifalia_server.environment import ConfigError
from verifalia_server.settings import NodeSettings

CAPTCHA_PACKAGE = Path(__file__).resolve().parents[2] / "verifalia_server" / "captcha"


def test_by_default_no_provider_is_configured_and_the_urls_are_the_real_endpoints() -> None:
    config = NodeSettings.from_env({}).captcha
    assert config == CaptchaConfig()
    assert {provider: settings.verify_url for provider, settings in config.providers.items()} == {
        Provider.TURNSTILE: "https://challenges.cloudflare.com/turnstile/v0/siteverify",
        Provider.RECAPTCHA_V2: "https://www.google.com/recaptcha/api/siteverify",
        Provider.RECAPTCHA_V3: "https://www.google.com/recaptcha/api/siteverify",
        Provider.HCAPTCHA: "https://api.hcaptcha.com/siteverify",
    }
    assert all(settings.secret is None for settings in config.providers.values())
    assert (config.min_score, config.action, config.timeout) == (0.5, None, 5.0)


def test_each_provider_reads_its_secret_and_url() -> None:
    config = NodeSettings.from_env(
        {
            "VERIFALIA_CAPTCHA_TURNSTILE_SECRET": "t-secret",
            "VERIFALIA_CAPTCHA_TURNSTILE_URL": "http://127.0.0.1:9000/turnstile",
            "VERIFALIA_CAPTCHA_RECAPTCHA_V2_SECRET": "v2-secret",
            "VERIFALIA_CAPTCHA_RECAPTCHA_V3_SECRET": "v3-secret",
            "VERIFALIA_CAPTCHA_RECAPTCHA_URL": "http://127.0.0.1:9000/recaptcha",
            "VERIFALIA_CAPTCHA_HCAPTCHA_SECRET": "h-secret",
            "VERIFALIA_CAPTCHA_HCAPTCHA_URL": "https://127.0.0.1:9001/siteverify",
            "VERIFALIA_CAPTCHA_RECAPTCHA_V3_MIN_SCORE": "0.7",
            "VERIFALIA_CAPTCHA_RECAPTCHA_V3_ACTION": "signup",
            "VERIFALIA_CAPTCHA_TIMEOUT": "2.5",
        }
    ).captcha
    assert config.providers == {
        Provider.TURNSTILE: ProviderConfig("http://127.0.0.1:9000/turnstile", "t-secret"),
        Provider.RECAPTCHA_V2: ProviderConfig("http://127.0.0.1:9000/recaptcha", "v2-secret"),
        Provider.RECAPTCHA_V3: ProviderConfig("http://127.0.0.1:9000/recaptcha", "v3-secret"),
        Provider.HCAPTCHA: ProviderConfig("https://127.0.0.1:9001/siteverify", "h-secret"),
    }
    assert (config.min_score, config.action, config.timeout) == (0.7, "signup", 2.5)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "VERIFALIA_CAPTCHA_TURNSTILE_URL",
            "challenges.cloudflare.com/siteverify",
            "absolute http or https URL",
        ),
        ("VERIFALIA_CAPTCHA_HCAPTCHA_URL", "ftp://127.0.0.1/siteverify", "absolute http or https URL"),
        ("VERIFALIA_CAPTCHA_RECAPTCHA_V3_MIN_SCORE", "1.5", "between 0 and 1"),
        ("VERIFALIA_CAPTCHA_RECAPTCHA_V3_MIN_SCORE", "-0.1", "must not be negative"),
        ("VERIFALIA_CAPTCHA_TIMEOUT", "0", "must be positive"),
    ],
)
def test_a_malformed_value_names_its_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        NodeSettings.from_env({name: value})
    assert str(raised.value).startswith(name)


def test_the_captcha_package_knows_nothing_of_the_api() -> None:
    imported = [
        node.module or ""
        for path in CAPTCHA_PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
    ]
    assert "verifalia_server.captcha.config" in imported
    assert [name for name in imported if name.startswith(("verifalia_server.api", "aiohttp.web"))] == []
