"""Callback hosts are resolved by the configured name servers (the test farm's DNS on loopback)."""

from __future__ import annotations

import socket

import pytest

from tests.mailfarm.farm import MailFarm
from verifalia_server.callbacks.dispatcher import CallbackUrlError, check_callback_destination
from verifalia_server.callbacks.resolver import CallbackResolver, CallbackResolverConfig
from verifalia_server.environment import ConfigError
from verifalia_server.settings import callback_servers, parse_servers


def _config(mail_farm: MailFarm, *, allow_private: bool) -> CallbackResolverConfig:
    return CallbackResolverConfig(servers=(mail_farm.dns_server,), timeout=1.0, allow_private=allow_private)


async def test_hosts_are_looked_up_on_the_configured_name_servers(mail_farm: MailFarm) -> None:
    resolver = CallbackResolver(_config(mail_farm, allow_private=True))
    try:
        results = await resolver.resolve("aonly.mailfarm.net", 8080, socket.AF_UNSPEC)
        with pytest.raises(OSError, match="does not exist"):
            await resolver.resolve("nowhere.mailfarm.net", 8080, socket.AF_UNSPEC)
    finally:
        await resolver.close()
    assert [(result["host"], result["port"]) for result in results] == [("127.0.1.22", 8080)]


async def test_submission_checks_refuse_what_the_configured_name_servers_say(mail_farm: MailFarm) -> None:
    await check_callback_destination("http://aonly.mailfarm.net/hook", _config(mail_farm, allow_private=True))
    with pytest.raises(CallbackUrlError, match="refused address"):
        await check_callback_destination(
            "http://aonly.mailfarm.net/hook", _config(mail_farm, allow_private=False)
        )
    with pytest.raises(CallbackUrlError, match="does not exist"):
        await check_callback_destination(
            "http://nowhere.mailfarm.net/hook", _config(mail_farm, allow_private=True)
        )
    # RFC 6761 §6.3: localhost is loopback without a query (the farm knows no such name).
    await check_callback_destination("http://localhost:8080/hook", _config(mail_farm, allow_private=True))


def test_callback_name_servers_default_to_the_engines() -> None:
    engine = (("127.0.0.53", 53),)
    assert callback_servers({}, engine) == engine
    assert callback_servers({"VERIFALIA_CALLBACK_DNS_SERVERS": " "}, engine) == engine
    configured = {"VERIFALIA_CALLBACK_DNS_SERVERS": "127.0.0.2, 127.0.0.3:5353, [::1]:53"}
    assert callback_servers(configured, engine) == (("127.0.0.2", 53), ("127.0.0.3", 5353), ("::1", 53))
    with pytest.raises(ConfigError, match="VERIFALIA_CALLBACK_DNS_SERVERS"):
        parse_servers("resolver.example", "VERIFALIA_CALLBACK_DNS_SERVERS")
    with pytest.raises(ConfigError, match="invalid port"):
        parse_servers("127.0.0.2:0", "VERIFALIA_CALLBACK_DNS_SERVERS")
