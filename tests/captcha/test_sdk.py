"""The official `verifalia` npm SDK (tests/sdk) sending a CAPTCHA: a refusal surfaces as its
`CaptchaValidationError`, a good token gives the completed job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.node_scripts import run_node_script
from tests.support.siteverify import Siteverify
from tests.v2.conftest import V2Node

SCRIPT = Path(__file__).resolve().parent / "sdk_captcha.js"
ADDRESS = "alice@postfix.mailfarm.net"


async def run_sdk(node: V2Node, provider_constant: str, token: str) -> dict[str, Any]:
    """Submit one job with the SDK and return the outcome the script prints."""
    environ = {
        "VERIFALIA_BASE_URIS": node.url,
        "VERIFALIA_USERNAME": node.account.sid,
        "VERIFALIA_PASSWORD": node.account.token,
    }
    outcome: dict[str, Any] = await run_node_script(
        SCRIPT, provider_constant, token, ADDRESS, environ=environ
    )
    return outcome


async def test_a_refused_captcha_is_the_sdks_captcha_validation_error(
    captcha_node: V2Node, siteverify: Siteverify
) -> None:
    outcome = await run_sdk(captcha_node, "CaptchaProvider_Turnstile", "forged-token")
    assert outcome["error"] == "CaptchaValidationError"
    assert outcome["captchaValidationError"] is True
    assert outcome["status"] == 401
    assert "invalid-input-response" in outcome["message"]
    assert [request["response"] for request in siteverify.requests] == ["forged-token"]
    assert await captcha_node.pool.fetchval("SELECT count(*) FROM jobs") == 0


async def test_a_good_captcha_from_the_sdk_is_accepted(captcha_node: V2Node, siteverify: Siteverify) -> None:
    token = siteverify.issue("recaptcha_v3", score=0.9)
    outcome = await run_sdk(captcha_node, "CaptchaProvider_ReCaptchaV3", token)
    assert outcome == {"outcome": "accepted", "status": "Completed", "provider": "reCaptcha_v3"}
    assert await captcha_node.pool.fetchval("SELECT count(*) FROM jobs") == 1
