"""A loopback siteverify server speaking the Turnstile, reCAPTCHA (v2 and v3) and hCaptcha protocol.

Each provider has its documented path and its own secret. A request is a `POST` of an
`application/x-www-form-urlencoded` form with `secret`, `response` and optional `remoteip`; the answer is the
providers' JSON: `success`, `error-codes`, `challenge_ts`, `hostname`, plus `score` and `action` for a
reCAPTCHA v3 secret (and `action`/`cdata` for Turnstile). Tokens are issued by the test (`issue`), are bound
to the secret of the provider that issued them and are good once: a second verification answers
`timeout-or-duplicate` (`already-seen-response` on hCaptcha), as the real services do. `failure` makes every
request stall (until the server stops), answer HTTP 500 or answer an HTML page with 200; `stop` takes the
server down; `requests` records every form received.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from aiohttp.test_utils import TestServer

SiteKind = Literal["turnstile", "recaptcha_v2", "recaptcha_v3", "hcaptcha"]
Failure = Literal["stall", "error", "html"]
HOSTNAME = "shop.example.org"
# The paths of the real endpoints, which the service is pointed at with its *_URL settings.
PATHS = {
    "turnstile": "/turnstile/v0/siteverify",
    "recaptcha": "/recaptcha/api/siteverify",
    "hcaptcha": "/siteverify",
}
SECRETS: dict[SiteKind, str] = {
    "turnstile": "0x4AAAAAAAturnstile-loopback-secret",
    "recaptcha_v2": "6LeIxAcTAAAAAGG-v2-loopback-secret",
    "recaptcha_v3": "6LeIxAcTAAAAAGG-v3-loopback-secret",
    "hcaptcha": "0x0000000000000000000000000000000000000000",
}
_ENDPOINT_OF: dict[SiteKind, str] = {
    "turnstile": "turnstile",
    "recaptcha_v2": "recaptcha",
    "recaptcha_v3": "recaptcha",
    "hcaptcha": "hcaptcha",
}


@dataclass(frozen=True)
class IssuedToken:
    """A token the end user got from a widget: the secret it verifies with, its v3 score and action."""

    secret: str
    score: float | None = None
    action: str | None = None


@dataclass
class Siteverify:
    """The running server: its base URL, issued tokens, recorded requests and failure mode."""

    base_url: str = ""
    tokens: dict[str, IssuedToken] = field(default_factory=dict)
    spent: set[str] = field(default_factory=set)
    requests: list[dict[str, str]] = field(default_factory=list)
    failure: Failure | None = None
    server: TestServer | None = None
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, kind: SiteKind) -> str:
        """The siteverify URL of a provider."""
        return self.base_url + PATHS[_ENDPOINT_OF[kind]]

    def environ(self) -> dict[str, str]:
        """The service's CAPTCHA settings pointing at this server, every provider configured."""
        return {
            "VERIFALIA_CAPTCHA_TURNSTILE_URL": self.url("turnstile"),
            "VERIFALIA_CAPTCHA_TURNSTILE_SECRET": SECRETS["turnstile"],
            "VERIFALIA_CAPTCHA_RECAPTCHA_URL": self.url("recaptcha_v2"),
            "VERIFALIA_CAPTCHA_RECAPTCHA_V2_SECRET": SECRETS["recaptcha_v2"],
            "VERIFALIA_CAPTCHA_RECAPTCHA_V3_SECRET": SECRETS["recaptcha_v3"],
            "VERIFALIA_CAPTCHA_HCAPTCHA_URL": self.url("hcaptcha"),
            "VERIFALIA_CAPTCHA_HCAPTCHA_SECRET": SECRETS["hcaptcha"],
        }

    def issue(self, kind: SiteKind, *, score: float | None = None, action: str | None = None) -> str:
        """A fresh token of the provider; reCAPTCHA v3 tokens carry a score (0.9 unless given) and action."""
        token = f"{kind}.{secrets.token_urlsafe(48)}"
        if kind == "recaptcha_v3":
            score = 0.9 if score is None else score
            action = action or "submit"
        self.tokens[token] = IssuedToken(SECRETS[kind], score, action)
        return token

    async def handle(self, request: web.Request, endpoint: str) -> web.Response:
        """One siteverify request."""
        form = {name: str(value) for name, value in (await request.post()).items()}
        self.requests.append({"endpoint": endpoint, **form})
        if self.failure == "stall":
            await self.released.wait()
        if self.failure == "error":
            return web.Response(status=500, text="internal error")
        if self.failure == "html":
            return web.Response(
                text="<html><body>Sign in to the network</body></html>", content_type="text/html"
            )
        return web.json_response(self._answer(endpoint, form))

    async def stop(self) -> None:
        """Take the server down: its port then refuses connections."""
        self.released.set()
        if self.server is not None:
            await self.server.close()
            self.server = None

    def _answer(self, endpoint: str, form: dict[str, str]) -> dict[str, Any]:
        secret, token = form.get("secret", ""), form.get("response", "")
        known_secrets = {SECRETS[kind] for kind, path in _ENDPOINT_OF.items() if path == endpoint}
        if not secret:
            return _failed("missing-input-secret")
        if secret not in known_secrets:
            return _failed("invalid-input-secret")
        if not token:
            return _failed("missing-input-response")
        issued = self.tokens.get(token)
        if issued is None or issued.secret != secret:
            return _failed("invalid-input-response")
        if token in self.spent:
            return _failed("already-seen-response" if endpoint == "hcaptcha" else "timeout-or-duplicate")
        self.spent.add(token)
        answer: dict[str, Any] = {
            "success": True,
            "challenge_ts": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "hostname": HOSTNAME,
            "error-codes": [],
        }
        if issued.score is not None:
            answer |= {"score": issued.score, "action": issued.action}
        if endpoint == "turnstile":
            answer |= {"action": "submit", "cdata": ""}
        if endpoint == "hcaptcha":
            answer["credit"] = False
        return answer


def _failed(code: str) -> dict[str, Any]:
    return {"success": False, "error-codes": [code]}


@contextlib.asynccontextmanager
async def siteverify_server() -> AsyncIterator[Siteverify]:
    """Serve the three providers' siteverify endpoints on 127.0.0.1 until the block ends."""
    state = Siteverify()
    app = web.Application()
    for endpoint, path in PATHS.items():

        async def handler(request: web.Request, endpoint: str = endpoint) -> web.Response:
            return await state.handle(request, endpoint)

        app.router.add_post(path, handler)
    state.server = TestServer(app, host="127.0.0.1")
    await state.server.start_server()
    state.base_url = str(state.server.make_url("")).rstrip("/")
    try:
        yield state
    finally:
        await state.stop()
