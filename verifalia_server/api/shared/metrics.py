"""Prometheus metrics of one node at `GET /metrics`: HTTP traffic, jobs, verdicts, queue, engine, pool.

The route needs no credentials; `VERIFALIA_METRICS_ALLOWED` restricts it to a list of client networks
(others get 403), and a reverse proxy can refuse it outright (see the README).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Sequence

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from verifalia_server.api.shared.collectors import ClusterFigures, EngineCollector, StoreCollector
from verifalia_server.api.shared.errors import error_for_status
from verifalia_server.api.shared.keys import ENGINE_KEY, POOL_KEY, SETTINGS_KEY
from verifalia_server.api.shared.limiter import client_address
from verifalia_server.settings import IPNetwork
from verifalia_server.store.database import DATABASE_ERRORS
from verifalia_server.store.gauges import callback_backlog, queue_depth
from verifalia_server.store.tallies import TALLIES

_log = logging.getLogger(__name__)
_DATABASE_TIMEOUT = 5.0
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# An abandoned request (the client went away) is counted as nginx counts it.
_CLIENT_CLOSED = 499
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class NodeMetrics:
    """The node's registry: HTTP metrics updated per request, the rest read at scrape time."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.figures = ClusterFigures()
        self.requests = Counter(
            "verifalia_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "verifalia_http_request_duration_seconds",
            "time to answer an HTTP request, by method and route template",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        # The labelled children of each (method, route, status) seen: looking labels up anew on every
        # request would cost more than counting it.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self.requests.labels(method, route, str(status)), self.latency.labels(method, route)
            self._children[key] = children
        requests, latency = children
        requests.inc()
        latency.observe(seconds)


METRICS_KEY = web.AppKey("metrics", NodeMetrics)


def route_template(request: web.Request) -> str:
    """The route a request matched, as its template (`/{version}/email-validations/{id}`), or `unmatched`."""
    resource = request.match_info.route.resource
    return "unmatched" if resource is None else resource.canonical


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count every request by route template and status, and time it."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    except (asyncio.CancelledError, ConnectionResetError):
        status = _CLIENT_CLOSED
        raise
    finally:
        method = request.method if request.method in _METHODS else "other"
        request.app[METRICS_KEY].observe(
            method, route_template(request), status, time.perf_counter() - started
        )


async def serve_metrics(request: web.Request) -> web.Response:
    """Render every metric in the Prometheus text format (403 outside VERIFALIA_METRICS_ALLOWED)."""
    settings = request.app[SETTINGS_KEY]
    if settings.metrics_allowed:
        client = client_address(
            request.remote, request.headers.get("X-Forwarded-For"), settings.trusted_proxies
        )
        if not _is_allowed(client, settings.metrics_allowed):
            raise error_for_status(403, "Metrics are not served to this address.")
    metrics = request.app[METRICS_KEY]
    await _fetch_figures(request.app, metrics)
    # Rendered on the event loop: the counters it reads are only ever changed there.
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _is_allowed(client: str, allowed: Sequence[IPNetwork]) -> bool:
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    return any(address in network for network in allowed)


async def _fetch_figures(app: web.Application, metrics: NodeMetrics) -> None:
    """Read the database-wide figures; on a database failure the scrape still answers, without them."""
    pool = app[POOL_KEY]
    try:
        async with asyncio.timeout(_DATABASE_TIMEOUT):
            metrics.figures.queue = await queue_depth(pool)
            metrics.figures.callbacks = await callback_backlog(pool)
    except DATABASE_ERRORS as error:
        _log.warning("metrics: the database did not answer: %s", error or type(error).__name__)
        metrics.figures.queue = None
        metrics.figures.callbacks = None


def setup(app: web.Application) -> None:
    """Create the node's metrics (reading the engine app[ENGINE_KEY]) and add `GET /metrics`."""
    metrics = NodeMetrics()
    metrics.registry.register(EngineCollector(app[ENGINE_KEY].stats))
    metrics.registry.register(StoreCollector(TALLIES, app[POOL_KEY], metrics.figures))
    app[METRICS_KEY] = metrics
    app.router.add_get("/metrics", serve_metrics)
