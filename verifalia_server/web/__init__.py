"""The web client area: static pages served by every node, a pure client of the public v2 API."""

from verifalia_server.web.routes import is_client_path, setup

__all__ = ["is_client_path", "setup"]
