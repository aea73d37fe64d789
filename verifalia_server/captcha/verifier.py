"""The HTTP client that asks a provider's siteverify endpoint about a token."""

from __future__ import annotations

import json

import aiohttp

from verifalia_server.captcha.config import CaptchaConfig, Provider
from verifalia_server.captcha.siteverify import MISSING_RESPONSE, Verdict, form, read_answer, refused

_USER_AGENT = "verifalia-server/captcha"
# Siteverify answers are small JSON objects; anything larger is no answer.
_MAX_ANSWER_BYTES = 64 * 1024


class CaptchaNotConfigured(LookupError):
    """The node has no secret for the provider, so its tokens cannot be verified."""

    def __init__(self, provider: Provider) -> None:
        super().__init__(f"{provider.value} tokens are not accepted by this service")
        self.provider = provider


class CaptchaUnreachable(ConnectionError):
    """The provider gave no verdict: unreachable, too slow, a server error or an answer that is no verdict."""


class CaptchaVerifier:
    """Verifies tokens with the configured providers over one HTTP session, opened on first use."""

    def __init__(self, config: CaptchaConfig) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout),
                headers={"User-Agent": _USER_AGENT},
            )
        return self._session

    async def verify(self, provider: Provider, token: str, remote_ip: str | None = None) -> Verdict:
        """The provider's verdict on `token`; `CaptchaNotConfigured` or `CaptchaUnreachable` when none."""
        settings = self.config.providers.get(provider)
        if settings is None or not settings.secret:
            raise CaptchaNotConfigured(provider)
        if not token:
            return refused(MISSING_RESPONSE)
        try:
            # An application/x-www-form-urlencoded form (WHATWG URL §5.2); siteverify never redirects.
            async with self._client().post(
                settings.verify_url, data=form(settings.secret, token, remote_ip), allow_redirects=False
            ) as response:
                status = response.status
                body = b""
                async for chunk in response.content.iter_chunked(_MAX_ANSWER_BYTES):
                    body += chunk
                    if len(body) > _MAX_ANSWER_BYTES:
                        break
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise CaptchaUnreachable(f"{provider.value} siteverify failed: {exc!r}") from exc
        # RFC 9110 §15.6: a 5xx says the server failed, not the token.
        if status >= 500 or len(body) > _MAX_ANSWER_BYTES:
            raise CaptchaUnreachable(f"{provider.value} siteverify answered HTTP {status}")
        try:
            return read_answer(provider, json.loads(body), self.config)
        except ValueError as exc:  # not JSON, or `NoVerdict`
            raise CaptchaUnreachable(
                f"{provider.value} siteverify gave no verdict (HTTP {status}): {exc}"
            ) from exc

    async def aclose(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
