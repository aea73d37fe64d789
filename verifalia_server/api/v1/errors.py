"""How Verifalia v1.4 answers errors: `{"status": <http status>, "message": "<detail>"}`."""

from __future__ import annotations

from aiohttp import web

from verifalia_server.api.shared.errors import ApiError, json_error


def render(error: ApiError) -> web.Response:
    """The error as the v1.4 error object."""
    return json_error(error, {"status": error.status, "message": error.detail})
