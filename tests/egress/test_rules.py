"""Egress settings: proxy URLs, source addresses, the rules file and the router that applies it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from verifalia_server.engine.config import ConfigError, EngineConfig
from verifalia_server.engine.smtp.egress import (
    DIRECT,
    EgressPlan,
    Router,
    Socks5Proxy,
    SourceAddress,
    parse_proxy,
    parse_sources,
)

README = Path(__file__).resolve().parents[2] / "README.md"


def _rules_file(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "egress.toml"
    path.write_text(text, encoding="utf-8")
    return {"VERIFALIA_SMTP_EGRESS_FILE": str(path)}


def _plan(environ: dict[str, str]) -> EgressPlan:
    return EngineConfig.from_env(environ).egress_plan


def test_without_settings_every_probe_goes_direct() -> None:
    plan = _plan({})

    assert plan == EgressPlan((), (DIRECT,))
    assert Router(plan).route("mx.example.com", "example.com") == (DIRECT,)


def test_a_proxy_url_with_percent_encoded_credentials_and_a_helo_name() -> None:
    proxy = parse_proxy(
        "socks5://probe%40eu:p%3Ass%2Cw@proxy.example.net:1080?helo=probe.example.com", source="X"
    )

    assert proxy == Socks5Proxy("proxy.example.net", 1080, "probe@eu", "p:ss,w", "probe.example.com")
    assert proxy.label == "socks5://probe@eu@proxy.example.net:1080"
    assert "p:ss,w" not in repr(proxy)


def test_one_proxy_or_a_list_of_them_is_the_default_pool() -> None:
    plan = _plan({"VERIFALIA_SMTP_PROXY": "socks5://10.0.0.5:1080, socks5://u:p@[2001:db8::5]:1081"})

    assert plan.default == (Socks5Proxy("10.0.0.5", 1080), Socks5Proxy("2001:db8::5", 1081, "u", "p"))
    assert plan.default[1].label == "socks5://u@[2001:db8::5]:1081"


def test_source_addresses_with_their_own_helo_names_are_the_default_pool() -> None:
    plan = _plan({"VERIFALIA_SMTP_SOURCE_ADDRESSES": "192.0.2.10=mta1.example.com, 2001:db8::10"})

    assert plan.default == (SourceAddress("192.0.2.10", "mta1.example.com"), SourceAddress("2001:db8::10"))
    assert [egress.label for egress in plan.default] == ["source:192.0.2.10", "source:2001:db8::10"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("socks5h://10.0.0.5:1080", "socks5h is not supported"),
        ("http://10.0.0.5:3128", "must start with socks5://"),
        ("socks5://u:hidden@10.0.0.5", "'socks5://u:***@10.0.0.5' must be socks5://[user:pass@]host:port"),
        ("socks5://10.0.0.5:0", "must be socks5://[user:pass@]host:port"),
        ("socks5://10.0.0.5:99999", "is not a proxy URL"),
        ("socks5://user@10.0.0.5:1080", "both a user name and a password"),
        (f"socks5://{'u' * 256}:p@10.0.0.5:1080", "1 to 255 octets"),
        ("socks5://10.0.0.5:1080?timeout=3", "the only query parameter is helo"),
    ],
)
def test_a_bad_proxy_url_is_a_configuration_error_naming_the_variable(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        _plan({"VERIFALIA_SMTP_PROXY": value})

    assert str(raised.value).startswith("VERIFALIA_SMTP_PROXY")
    assert "hidden" not in str(raised.value)


def test_a_source_address_must_be_an_ip_address() -> None:
    with pytest.raises(ConfigError, match=re.escape("VERIFALIA_SMTP_SOURCE_ADDRESSES: 'mta1.example.com'")):
        parse_sources("mta1.example.com", source="VERIFALIA_SMTP_SOURCE_ADDRESSES")


def test_proxies_and_source_addresses_in_the_environment_exclude_each_other() -> None:
    with pytest.raises(ConfigError, match="exclude each other"):
        _plan(
            {"VERIFALIA_SMTP_PROXY": "socks5://10.0.0.5:1080", "VERIFALIA_SMTP_SOURCE_ADDRESSES": "192.0.2.1"}
        )


def _readme_rules_example() -> str:
    """The rules file example of the README, so the documentation is checked to parse and route."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"```toml\n(# egress rules.*?)```", text, re.DOTALL)
    assert match is not None, "the README has no egress rules example"
    return match.group(1)


def test_the_readme_example_routes_by_mx_host_and_by_domain(tmp_path: Path) -> None:
    plan = _plan(_rules_file(tmp_path, _readme_rules_example()))
    router = Router(plan)

    outlook = router.route("contoso-com.mail.protection.outlook.com", "contoso.com")
    assert [egress.label for egress in outlook] == [
        "socks5://probe@198.51.100.7:1080",
        "socks5://198.51.100.8:1080",
    ]
    assert outlook[0].helo_name == "probe-eu.example.com"
    # The next connection starts with the next proxy of the pool; the other follows as the fail-over.
    assert router.route("contoso-com.mail.protection.outlook.com", "contoso.com") == outlook[::-1]
    assert router.route("mx1.gmail.example", "gmail.com") == (
        SourceAddress("192.0.2.10", "mail.example.com"),
    )
    assert router.route("mx.example.org", "example.org") == (DIRECT,)
    assert [egress.label for egress in router.route("mx.elsewhere.net", "elsewhere.net")] == [
        "socks5://probe@198.51.100.7:1080",
        "socks5://198.51.100.8:1080",
    ]


def test_the_first_matching_rule_wins_and_patterns_ignore_case_and_the_final_dot(tmp_path: Path) -> None:
    environ = _rules_file(
        tmp_path,
        """
        [egress.a]
        source = "192.0.2.1"
        [egress.b]
        source = "192.0.2.2"

        [[rule]]
        match = "*.Example.COM."
        use = "a"
        [[rule]]
        match = ["example.com", "*"]
        use = "b"
        """,
    )
    router = Router(_plan(environ))

    assert router.route("MX1.example.com.", "") == (SourceAddress("192.0.2.1"),)
    assert router.route("mx.other.net", "example.com") == (SourceAddress("192.0.2.2"),)
    assert router.route("example.com", "") == (SourceAddress("192.0.2.2"),)


def test_without_a_default_in_the_file_the_environment_pool_serves_the_rest(tmp_path: Path) -> None:
    environ = _rules_file(tmp_path, '[[rule]]\nmatch = "gmail.com"\nuse = "direct"\n')
    environ["VERIFALIA_SMTP_PROXY"] = "socks5://10.0.0.5:1080"
    router = Router(_plan(environ))

    assert router.route("mx1.gmail.example", "gmail.com") == (DIRECT,)
    assert router.route("mx.example.net", "example.net") == (Socks5Proxy("10.0.0.5", 1080),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[egress.a\n", "is not valid TOML"),
        ('colour = "red"\n', "unknown top-level keys ['colour']"),
        ('[egress.a]\nproxy = "socks5://10.0.0.5:1080"\nsource = "192.0.2.1"\n', "exactly one of proxy"),
        ('[egress.a]\nsource = "192.0.2.1"\nweight = 2\n', "takes proxy or source"),
        ('[egress.direct]\nsource = "192.0.2.1"\n', "built in"),
        ('[egress.a]\nsource = "192.0.2.1"\n[pool]\nbig = ["a", "b"]\n', "unknown: ['b']"),
        ('[egress.a]\nsource = "192.0.2.1"\n[pool]\na = ["a"]\n', "reuses the name"),
        ('[[rule]]\nmatch = "gmail.com"\nuse = "nowhere"\n', "rule 1: use must name"),
        ('[[rule]]\nmatch = "g*mail.com"\nuse = "direct"\n', "patterns are names"),
        ('[[rule]]\nmatch = "gmail.com"\n', "rule 1 takes match"),
        ('default = "nowhere"\n', "default must name"),
    ],
)
def test_a_bad_rules_file_is_a_configuration_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        _plan(_rules_file(tmp_path, text))


def test_a_missing_rules_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="VERIFALIA_SMTP_EGRESS_FILE: cannot read"):
        _plan({"VERIFALIA_SMTP_EGRESS_FILE": str(tmp_path / "absent.toml")})
