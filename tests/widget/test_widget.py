"""The `verifalia-widget` npm package in Debian's headless Chromium, against a real node, with only a browser
app's key.

The widget has no setting for its API's base URIs: it always calls `https://api-{1,2,3}.verifalia.com`.
Chromium's resolver rules send those names to a TLS proxy on loopback in front of the node (its certificate
is self-signed, so the browser is told not to check it); every other name fails to resolve, so nothing leaves
127.0.0.0/8. The page is served from another loopback port: the widget's calls are cross-origin, as on a
customer's site.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.mailfarm.farm import MailFarm
from tests.support.cluster import ClusterNode, run_cluster
from tests.support.database import create_test_account
from tests.web.browser import chromium, wait_for
from tests.widget.tls import server_context, tls_proxy
from verifalia_server.service.permissions import DEFAULT_RULES, UserType
from verifalia_server.store import users

pytestmark = pytest.mark.timeout(180)

WIDGET = Path(__file__).parent / "node_modules" / "verifalia-widget" / "dist" / "verifalia-widget.js"
# The base URIs written into the widget.
API_HOSTS = ("api-1.verifalia.com", "api-2.verifalia.com", "api-3.verifalia.com")
ADDRESS = "alice@postfix.mailfarm.net"
_NODE_ENVIRON = {
    "VERIFALIA_SCHEDULER_POLL_SECONDS": "0.05",
    "VERIFALIA_POOL_MIN_SIZE": "1",
    "VERIFALIA_LOG_LEVEL": "INFO",
}
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign up</title></head>
<body>
<form id="signup"><input type="email" name="email" id="email"><button>Sign up</button></form>
<pre id="outcome"></pre>
<script>
document.addEventListener('verifalia-widget:field-validation-completed', (event) => {
  document.getElementById('outcome').textContent = event.detail.status;
});
</script>
<script src="/verifalia-widget.js" data-verifalia-appkey="%KEY%"></script>
</body></html>
"""


async def create_app_key(pool: asyncpg.Pool[Any], account_id: int, origins: Sequence[str]) -> str:
    """A browser app of the account trusting exactly `origins`; its key."""
    profile = users.Profile(
        "signup form",
        rules=DEFAULT_RULES[UserType.BROWSER_APP],
        password_enabled=False,
        origins_enabled=True,
        origins=tuple(origins),
    )
    return (await users.create_user(pool, account_id, UserType.BROWSER_APP, profile, None)).id


@contextlib.asynccontextmanager
async def page_server() -> AsyncIterator[tuple[str, dict[str, str]]]:
    """Serve the sign-up page and the widget's script on loopback; yield the origin and the page's settings
    (set `key` before loading the page)."""
    settings: dict[str, str] = {}

    async def page(request: web.Request) -> web.Response:
        del request
        return web.Response(text=_PAGE.replace("%KEY%", settings["key"]), content_type="text/html")

    async def script(request: web.Request) -> web.FileResponse:
        del request
        return web.FileResponse(WIDGET, headers={"Content-Type": "text/javascript"})

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/verifalia-widget.js", script)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}", settings
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def widget_setup(
    tmp_path: Path, database_url: str, mail_farm: MailFarm
) -> AsyncIterator[tuple[ClusterNode, str, dict[str, str], dict[str, str]]]:
    """A node process behind the TLS proxy, and the page server: the node, the page origin, the page's
    settings and the host map that sends the widget's API hosts to the proxy."""
    if not WIDGET.is_file():
        pytest.fail(f"{WIDGET} is missing: `make test` installs tests/widget (npm ci)")
    context = server_context(tmp_path, API_HOSTS)
    environ = {**mail_farm.engine_environ(), **_NODE_ENVIRON}
    async with run_cluster(database_url, environ, count=1) as cluster, page_server() as (origin, settings):
        node = cluster.nodes[0]
        async with tls_proxy(context, int(node.url.rpartition(":")[2])) as proxy_port:
            host_map = {host: f"127.0.0.1:{proxy_port}" for host in API_HOSTS}
            yield node, origin, settings, host_map


def type_address(tmp_path: Path, origin: str, host_map: dict[str, str]) -> dict[str, Any]:
    """Open the page in Chromium, type the address and leave the field; what the widget showed."""
    with chromium(tmp_path, host_map) as driver:
        driver.get(origin)
        field = wait_for(driver, lambda current: current.find_element(By.ID, "email"), "the email field")
        wait_for(
            driver, lambda current: "verifalia-field" in _classes(current), "the widget to bind the field"
        )
        field.send_keys(ADDRESS, Keys.TAB)
        status = wait_for(driver, lambda current: current.find_element(By.ID, "outcome").text, "a verdict")
        hidden = {
            element.get_attribute("name"): element.get_attribute("value")
            for element in driver.find_elements(By.CSS_SELECTOR, "input[type=hidden]")
        }
        return {"status": status, "classes": _classes(driver).split(), "hidden": hidden}


def _classes(driver: Chrome) -> str:
    return driver.find_element(By.ID, "email").get_attribute("class") or ""


async def run_widget(
    tmp_path: Path, database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm, origins: Sequence[str]
) -> tuple[str, dict[str, Any], str]:
    """Type the address on the page with the key of a new account's browser app trusting `origins`: the key,
    what the widget showed and the node's log."""
    account = await create_test_account(pool, credits=10_000)
    async with widget_setup(tmp_path, database_url, mail_farm) as (node, origin, settings, host_map):
        settings["key"] = await create_app_key(pool, account.account_id, origins)
        shown = await asyncio.to_thread(type_address, tmp_path, origin, host_map)
        return settings["key"], shown, node.log_path.read_text(encoding="utf-8")


async def test_the_widget_verifies_an_address_with_a_browser_app_key(
    tmp_path: Path, database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm
) -> None:
    key, shown, log = await run_widget(tmp_path, database_url, pool, mail_farm, ["http://127.0.0.1:*"])
    assert shown["status"] == "Allowed", json.dumps(shown)
    assert "verifalia-field-valid" in shown["classes"]
    assert shown["hidden"]["email-verifalia-classification"] == "Deliverable"
    assert shown["hidden"]["email-verifalia-status"] == "Success"
    job_id = shown["hidden"]["email-verifalia-id"]
    job = await pool.fetchrow("SELECT owner, no_of_entries FROM jobs WHERE id = $1::uuid", job_id)
    assert job is not None
    assert (job["owner"], job["no_of_entries"]) == (key, 1)
    assert re.search(r"POST \S*email-validations 20[02] ", log), log


async def test_a_page_outside_the_trusted_origins_fails_and_the_node_logs_a_403(
    tmp_path: Path, database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm
) -> None:
    _, shown, log = await run_widget(tmp_path, database_url, pool, mail_farm, ["https://shop.example.com"])
    assert shown["status"] == "Exception", json.dumps(shown)
    assert "verifalia-field-exception" in shown["classes"]
    assert "verifalia-field-valid" not in shown["classes"]
    assert re.search(r"POST \S*email-validations 403 ", log), log
    assert await pool.fetchval("SELECT count(*) FROM jobs") == 0
