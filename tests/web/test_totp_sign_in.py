"""Signing in to the web client area with a TOTP second factor, in headless Chromium against a real node."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pyotp
import pytest
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.totp.conftest import claims, wrong_code
from tests.web.browser import (
    chromium,
    console_errors,
    message,
    message_text,
    open_credits,
    sign_in,
    visible,
    wait_for,
)
from tests.web.conftest import WebNode
from verifalia_server.service import totp
from verifalia_server.service.permissions import DEFAULT_RULES, UserType
from verifalia_server.store import totp as totp_store
from verifalia_server.store import users

pytestmark = pytest.mark.timeout(120)

TOKEN_KEY = "verifalia.accessToken"


@dataclass(frozen=True)
class TotpLogin:
    """A Standard user with a username, a password and a confirmed TOTP second factor."""

    user_id: str
    username: str
    password: str
    secret: str

    def code(self) -> str:
        """The code of the current time step."""
        return pyotp.TOTP(self.secret).now()


async def _totp_login(pool: asyncpg.Pool[Any], account_id: int, username: str) -> TotpLogin:
    password = users.new_password()
    profile = users.Profile(username.title(), username=username, rules=DEFAULT_RULES[UserType.STANDARD])
    user = await users.create_user(pool, account_id, UserType.STANDARD, profile, password)
    enrolment = await totp.enable(pool, user)
    assert await totp_store.require_second_factor(pool, user.id, enrolment.secret)
    return TotpLogin(user.id, username, password, enrolment.secret)


def _post(node: WebNode, path: str, body: Any, token: str) -> tuple[int, Any]:
    """POST a JSON body to the v2.7 API, with a bearer token unless it is empty (blocking)."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{node.url}/v2.7{path}", json.dumps(body).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _disable_totp(node: WebNode, user_id: str) -> None:
    """Remove the user's second factor with the account owner's credentials (blocking)."""
    credentials = base64.b64encode(f"{node.account.sid}:{node.account.token}".encode()).decode()
    request = urllib.request.Request(
        f"{node.url}/v2.7/users/{user_id}/totp",
        method="DELETE",
        headers={"Authorization": f"Basic {credentials}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


def _session_token(driver: Chrome) -> str | None:
    token: str | None = driver.execute_script("return sessionStorage.getItem(arguments[0])", TOKEN_KEY)
    return token


def _code_step(driver: Chrome) -> WebElement:
    """Wait for the one-time code form and return its input."""
    return wait_for(driver, lambda current: visible(current, "#pass-code"), "the one-time code step")


def _away_from_step_edge(margin: float = 3.0) -> None:
    """Wait for the next time step when the current one ends within `margin` seconds (blocking)."""
    left = totp.STEP_SECONDS - time.time() % totp.STEP_SECONDS
    if left < margin:
        time.sleep(left + 0.1)


def _enter(code_input: WebElement, code: str) -> None:
    code_input.clear()
    code_input.send_keys(code + "\n")


def _labels(driver: Chrome, control_id: str) -> tuple[str, str]:
    """The label and hint texts of a form control."""
    label = driver.find_element(By.CSS_SELECTOR, f"label[for='{control_id}']").text
    control = driver.find_element(By.ID, control_id)
    hint = driver.find_element(By.ID, control.get_attribute("aria-describedby") or "")
    return label, hint.text


def _sign_in_with_a_code(node: WebNode, login: TotpLogin, driver: Chrome) -> None:
    sign_in(driver, node.url, login.username, login.password)
    code_input = _code_step(driver)
    assert _labels(driver, "pass-code")[0] == "One-time code"
    assert code_input.get_attribute("autocomplete") == "one-time-code"
    assert code_input.get_attribute("inputmode") == "numeric"
    assert driver.switch_to.active_element == code_input
    assert _session_token(driver) is None

    # Back to the first step, the username kept; the password gives a new first-factor token.
    driver.find_element(By.ID, "sign-in-back").click()
    username = wait_for(driver, lambda current: visible(current, "#username"), "the sign-in form")
    assert username.get_attribute("value") == login.username
    assert _labels(driver, "username") == (
        "Username",
        "Your username, or the SID of a user created before users had names",
    )
    assert _labels(driver, "password") == (
        "Password",
        "Your password, or the auth token shown when the user was created",
    )
    driver.find_element(By.ID, "password").send_keys(login.password + "\n")

    _enter(_code_step(driver), wrong_code(login.code()))
    assert message(driver, "wrong") == "Forbidden: The TOTP code is wrong or expired."
    assert _session_token(driver) is None

    _away_from_step_edge()
    _enter(_code_step(driver), login.code())
    wait_for(driver, lambda current: visible(current, "#jobs-table"), "the jobs list")
    assert message_text(driver) is None
    final = _session_token(driver)
    assert final is not None
    assert "verifalia:mfa" not in claims(final)
    assert claims(final)["sub"] == login.user_id

    open_credits(driver, node.api_json("/credits/balance")["creditPacks"])
    driver.find_element(By.ID, "sign-out").click()
    wait_for(driver, lambda current: visible(current, "#username"), "the sign-in form")
    assert _session_token(driver) is None


def _too_many_codes(node: WebNode, login: TotpLogin, driver: Chrome) -> None:
    status, body = _post(node, "/auth/tokens", {"username": login.username, "password": login.password}, "")
    assert status == 200, body
    first = body["accessToken"]
    for _ in range(totp.MAX_ATTEMPTS):
        status, body = _post(node, "/auth/totp/verifications", {"passCode": wrong_code(login.code())}, first)
        assert status == 403, body

    sign_in(driver, node.url, login.username, login.password)
    # Even a right code is refused now; the page says so at once instead of waiting out Retry-After.
    _enter(_code_step(driver), login.code())
    text = message(driver, "Too Many Requests")
    assert text.startswith("Too Many Requests: Too many TOTP codes were tried for this user; try again in ")
    assert visible(driver, "#pass-code") is not None
    assert _session_token(driver) is None

    # Removing the second factor revokes the first-factor token: the next code brings back the first step.
    _disable_totp(node, login.user_id)
    _enter(_code_step(driver), login.code())
    assert message(driver, "Unauthorized") == "Unauthorized: Invalid, expired or revoked bearer token."
    wait_for(driver, lambda current: visible(current, "#username"), "the sign-in form")
    assert _session_token(driver) is None


def _scenarios(node: WebNode, jane: TotpLogin, joe: TotpLogin, downloads: Path) -> None:
    with chromium(downloads) as driver:
        _sign_in_with_a_code(node, jane, driver)
        _too_many_codes(node, joe, driver)
        assert console_errors(driver) == []


async def test_a_user_with_totp_signs_in_with_a_code(
    web_node: WebNode, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    jane = await _totp_login(pool, web_node.account.account_id, "jane")
    joe = await _totp_login(pool, web_node.account.account_id, "joe")
    await asyncio.to_thread(_scenarios, web_node, jane, joe, tmp_path)
