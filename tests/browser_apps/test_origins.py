"""Trusted origins of browser apps, and the CORS answers that go with them, on a real node over HTTP."""

from __future__ import annotations

import pytest

from tests.browser_apps.conftest import create_browser_app, key_auth, post_job, stored_jobs
from tests.v2.conftest import V2Node, entries, problem
from verifalia_server.service.browser_apps import trusts_origin
from verifalia_server.store.users import Profile

ADDRESS = "alice@postfix.mailfarm.net"
TRUSTED = ("https://*.example.com", "http://127.0.0.1:80??")


@pytest.mark.parametrize(
    ("origin", "trusted"),
    [
        ("https://shop.example.com", True),
        ("HTTPS://Shop.Example.COM", True),
        ("https://a.b.example.com", True),
        ("https://example.com", False),
        ("http://shop.example.com", False),
        ("https://shop.example.com.evil.org", False),
        ("http://127.0.0.1:8081", True),
        ("http://127.0.0.1:808", False),
        ("http://127.0.0.1:80811", False),
        ("null", False),
        (None, False),
    ],
)
def test_origin_expressions_match_the_whole_serialized_origin(origin: str | None, trusted: bool) -> None:
    assert trusts_origin(Profile("app", origins_enabled=True, origins=TRUSTED), origin) is trusted


def test_an_app_without_trusted_origins_enabled_trusts_every_origin() -> None:
    assert trusts_origin(Profile("app", origins=TRUSTED), "https://anywhere.org")
    assert trusts_origin(Profile("app"), None)
    assert not trusts_origin(Profile("app", origins_enabled=True), "https://shop.example.com")


async def test_a_trusted_origin_submits_and_reads_and_only_it_is_allowed_to_read(node: V2Node) -> None:
    key = await create_browser_app(node.pool, node.account.account_id, origins_enabled=True, origins=TRUSTED)
    headers = key_auth(key, "https://Shop.example.com")
    response = await post_job(node, headers, entries(ADDRESS))
    assert response.status == 200, await response.text()
    assert response.headers["Access-Control-Allow-Origin"] == "https://Shop.example.com"
    assert "Origin" in response.headers.getall("Vary")
    job_id = (await response.json())["overview"]["id"]
    async with node.session.get(node.v2(f"/email-validations/{job_id}", "v2.7"), headers=headers) as read:
        assert read.status == 200
        assert read.headers["Access-Control-Allow-Origin"] == "https://Shop.example.com"


@pytest.mark.parametrize("origin", ["https://evil.org", "https://example.com", "null"])
async def test_an_untrusted_origin_is_403_naming_it_and_gets_no_cors_grant(node: V2Node, origin: str) -> None:
    key = await create_browser_app(node.pool, node.account.account_id, origins_enabled=True, origins=TRUSTED)
    response = await post_job(node, key_auth(key, origin), entries(ADDRESS))
    body = await problem(response, 403)
    assert repr(origin) in body["detail"]
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers.getall("Vary")
    assert await stored_jobs(node) == (0, 0)


async def test_a_request_without_origin_is_403_when_origins_are_enabled(node: V2Node) -> None:
    key = await create_browser_app(node.pool, node.account.account_id, origins_enabled=True, origins=TRUSTED)
    body = await problem(await post_job(node, key_auth(key), entries(ADDRESS)), 403)
    assert "Origin" in body["detail"]
    async with node.session.get(node.v2("/email-validations", "v2.7"), headers=key_auth(key)) as listing:
        await problem(listing, 403)
    assert await stored_jobs(node) == (0, 0)


async def test_the_origin_check_holds_on_v1_4_too(node: V2Node) -> None:
    key = await create_browser_app(node.pool, node.account.account_id, origins_enabled=True, origins=TRUSTED)
    url = f"{node.url}/v1.4/email-validations"
    body = {"entries": [{"inputData": ADDRESS}]}
    async with node.session.post(url, json=body, headers=key_auth(key, "https://evil.org")) as refused:
        assert refused.status == 403
        assert "'https://evil.org'" in (await refused.json())["message"]
    async with node.session.post(url, json=body, headers=key_auth(key, "https://a.example.com")) as accepted:
        assert accepted.status in (200, 202), await accepted.text()
    assert (await stored_jobs(node))[0] == 1


async def test_apps_without_trusted_origins_and_other_users_keep_the_open_cors_grant(node: V2Node) -> None:
    key = await create_browser_app(node.pool, node.account.account_id)
    response = await post_job(node, key_auth(key, "https://anywhere.org"), entries(ADDRESS))
    assert response.status == 200, await response.text()
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Vary" not in response.headers
    administrator = {**node.auth, "Origin": "https://anywhere.org"}
    async with node.session.get(node.v2("/credits/balance", "v2.7"), headers=administrator) as balance:
        assert balance.status == 200
        assert balance.headers["Access-Control-Allow-Origin"] == "*"


async def test_a_preflight_from_any_origin_is_still_answered(node: V2Node) -> None:
    await create_browser_app(node.pool, node.account.account_id, origins_enabled=True, origins=TRUSTED)
    headers = {
        "Origin": "https://evil.org",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    async with node.session.options(node.v2("/email-validations", "v2.7"), headers=headers) as preflight:
        assert preflight.status == 204
        assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
        assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
