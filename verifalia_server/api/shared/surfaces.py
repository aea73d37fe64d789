"""The API surfaces of a node, each an aiohttp sub-application that answers errors in its own style.

A surface is the set of paths it serves and its error answers: the rendering of an `ApiError` and the
`ApiError` of each business failure. `mount` adds a surface's sub-application to the node's application;
`error_middleware_for(surface)` is that sub-application's error middleware. Requests that fail before
reaching a surface (a limit of the node, or an unparseable request) are answered by the node's error
middleware in the style of the surface their path belongs to (`surface_of`, `surface_for_path`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRuleMatching, MatchedSubAppResource, _InfoDict

from verifalia_server.api.leadrocks import errors as leadrocks_errors
from verifalia_server.api.shared.errors import ApiError, domain_error, render_problem
from verifalia_server.api.v1 import errors as v1_errors
from verifalia_server.api.v2.errors import v2_domain_error
from verifalia_server.service.errors import DomainError


@dataclass(frozen=True, slots=True)
class Surface:
    """An API surface: the paths it serves (leading slashes repeated or not) and how it answers errors."""

    name: str
    paths: re.Pattern[str]
    render: Callable[[ApiError], web.Response]
    domain: Callable[[DomainError], ApiError] = domain_error


V1_4 = Surface("v1.4", re.compile(r"^/+v1\.4(/|$)"), v1_errors.render)
# Any API version 2.x: the SDKs send v2.5, v2.6 and v2.7.
V2 = Surface("v2", re.compile(r"^/+v2\.[0-9]+(/|$)"), render_problem, v2_domain_error)
LEADROCKS = Surface(
    "leadrocks", re.compile(r"^/+v1(/|$)"), leadrocks_errors.render, leadrocks_errors.leadrocks_domain_error
)
# The node's own routes (`/`, `/health`, `/metrics`, `/openapi.json`, the web client) and unknown paths.
NODE = Surface("node", re.compile(r"^/"), render_problem)
SURFACES = (V1_4, V2, LEADROCKS)
SURFACE_KEY = web.AppKey("surface", Surface)


def surface_for_path(path: str) -> Surface:
    """The surface a path belongs to (the node's own for any other path)."""
    return next((surface for surface in SURFACES if surface.paths.match(path)), NODE)


def surface_of(request: web.Request) -> Surface:
    """The surface whose sub-application the request was routed to, else the one its path belongs to."""
    for app in request.match_info.apps:
        if SURFACE_KEY in app:
            return app[SURFACE_KEY]
    return surface_for_path(request.path)


class _PathRule(AbstractRuleMatching):
    """Matches the requests whose path belongs to a surface."""

    def __init__(self, surface: Surface) -> None:
        self._surface = surface

    async def match(self, request: web.Request) -> bool:
        """Whether the request's path belongs to the surface."""
        return self._surface.paths.match(request.path) is not None

    def get_info(self) -> _InfoDict:
        """What the rule matches, for introspection."""
        return {"pattern": self._surface.paths}

    @property
    def canonical(self) -> str:
        """The surface's path pattern."""
        return self._surface.paths.pattern


def mount(app: web.Application, surface: Surface, subapp: web.Application) -> None:
    """Serve the surface's paths with its sub-application (whose routes carry their full paths)."""
    subapp[SURFACE_KEY] = surface
    # aiohttp mounts rule-matched sub-applications only for domains (`add_domain`); this is the same step
    # with a path rule: the resource, the sub-application's signals, and its freezing with the parent.
    app._add_subapp(functools.partial(MatchedSubAppResource, _PathRule(surface), subapp), subapp)
