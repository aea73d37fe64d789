"""Headless Chromium from Debian (`chromium` + `chromium-driver`) driven by selenium, kept on loopback."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.webdriver import Chrome
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.command import Command
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_SECONDS = 20.0
WINDOW = (1280, 1200)
# Every host name but the loopback ones fails to resolve, and Chromium's own background services are off:
# the browser cannot send anything beyond 127.0.0.0/8.
_RESOLVER_RULES = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"
_LOOPBACK_ONLY = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-default-apps",
]

T = TypeVar("T")


def _resolver_rules(host_map: Mapping[str, str]) -> str:
    for target in host_map.values():
        if not target.startswith("127."):
            raise ValueError(f"{target} is not a loopback address:port")
    return "".join(f"MAP {host} {target}, " for host, target in host_map.items()) + _RESOLVER_RULES


@contextlib.contextmanager
def chromium(download_dir: Path, host_map: Mapping[str, str] | None = None) -> Iterator[Chrome]:
    """A headless Chromium whose downloads land in `download_dir`; quit afterwards.

    `host_map` sends host names to loopback `address:port`s, where no certificate names them: TLS
    certificates are then not checked.
    """
    for program in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(program) is None:
            pytest.fail(
                f"{program} is missing: tests/install-packages.sh installs chromium and chromium-driver"
            )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", *_LOOPBACK_ONLY]:
        options.add_argument(argument)
    options.add_argument(f"--host-resolver-rules={_resolver_rules(host_map or {})}")
    if host_map:
        options.add_argument("--ignore-certificate-errors")
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(download_dir), "download.prompt_for_download": False},
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Chrome, condition: Callable[[Chrome], T | None], what: str) -> T:
    """Poll `condition` until it returns something truthy; fail naming `what` after `WAIT_SECONDS`."""
    try:
        result: T = WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.1).until(
            lambda current: condition(current) or False, f"waiting for {what}"
        )
    except Exception as error:
        messages = [entry["message"] for entry in console(driver)]
        raise AssertionError(
            f"{error}\nbrowser console: {messages}\npage: {driver.page_source[:3000]}"
        ) from None
    return result


def visible(driver: Chrome, css: str) -> WebElement | None:
    """The first displayed element matching `css`, if any."""
    for element in driver.find_elements(By.CSS_SELECTOR, css):
        if element.is_displayed():
            return element
    return None


def message(driver: Chrome, containing: str) -> str:
    """Wait for the alert region to show a message holding `containing` and return its text."""

    def holding(current: Chrome) -> str | None:
        text = message_text(current)
        return text if text is not None and containing in text else None

    return wait_for(driver, holding, f"a message holding {containing!r}")


def message_text(driver: Chrome) -> str | None:
    """The message shown in the alert region, if any."""
    element = visible(driver, "#message")
    return element.text if element is not None else None


def open_credits(driver: Chrome, credit_packs: Any) -> None:
    """Open the Credits page from the navigation and wait for it to show `credit_packs` as the balance."""
    driver.find_element(By.CSS_SELECTOR, "#nav a[href='#/credits']").click()
    wait_for(
        driver,
        lambda current: (element := visible(current, "#balance dd")) and element.text == str(credit_packs),
        "the balance",
    )


def console(driver: Chrome) -> list[dict[str, Any]]:
    """The browser console entries logged since the last call (`ChromiumDriver.get_log`, typed)."""
    entries: list[dict[str, Any]] = driver.execute(Command.GET_LOG, {"type": "browser"})["value"]
    return entries


def console_errors(driver: Chrome) -> list[str]:
    """Console errors other than the failed requests the test provoked on purpose (4xx answers)."""
    return [
        entry["message"]
        for entry in console(driver)
        if entry["level"] == "SEVERE" and "the server responded with a status of 4" not in entry["message"]
    ]


def sign_in(driver: Chrome, base_url: str, sid: str, token: str) -> None:
    """Open the client area and submit the sign-in form with the keyboard."""
    driver.get(f"{base_url}/app/")
    username = wait_for(driver, lambda current: visible(current, "#username"), "the sign-in form")
    username.clear()
    username.send_keys(sid)
    password = driver.find_element(By.ID, "password")
    password.clear()
    password.send_keys(token + "\n")
