"""The metrics read at scrape time: the engine's network counters, the store's tallies, queue and pool.

The engine and the store only count; this module turns their counters into Prometheus metric families.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from verifalia_server.engine.stats import EngineStats
from verifalia_server.engine.statuses import Status, classify
from verifalia_server.store.database import Pool
from verifalia_server.store.gauges import CallbackBacklog, QueueDepth
from verifalia_server.store.tallies import StoreTallies


@dataclass(slots=True)
class ClusterFigures:
    """The database-wide figures of the last scrape (None when the database did not answer)."""

    queue: QueueDepth | None = None
    callbacks: CallbackBacklog | None = None


def _by_label(name: str, documentation: str, label: str, counts: Mapping[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=[label])
    for value, count in sorted(counts.items()):
        family.add_metric([value], count)
    return family


class EngineCollector(Collector):
    """SMTP sessions, RCPTs and throttling events per MX group; DNS queries and cache hits."""

    def __init__(self, stats: EngineStats) -> None:
        self._stats = stats

    def collect(self) -> Iterable[Metric]:
        """Read the engine's counters as they are now."""
        stats = self._stats
        yield _by_label(
            "verifalia_smtp_sessions",
            "SMTP sessions that reached MAIL FROM, by mail exchanger group",
            "mx_group",
            dict(stats.smtp_sessions),
        )
        yield _by_label(
            "verifalia_smtp_recipients",
            "RCPT TO commands sent, by mail exchanger group",
            "mx_group",
            dict(stats.smtp_recipients),
        )
        yield _by_label(
            "verifalia_smtp_throttles",
            "replies that throttled or limited this node, by mail exchanger group",
            "mx_group",
            dict(stats.smtp_throttles),
        )
        yield CounterMetricFamily("verifalia_dns_queries", "DNS questions asked", value=stats.dns_queries)
        yield CounterMetricFamily(
            "verifalia_dns_cache_hits", "DNS questions answered from the cache", value=stats.dns_cache_hits
        )


class StoreCollector(Collector):
    """Jobs, verdicts and leases counted by this process; queue, callbacks and pool from the last scrape."""

    def __init__(self, tallies: StoreTallies, pool: Pool[Any], figures: ClusterFigures) -> None:
        self._tallies = tallies
        self._pool = pool
        self._figures = figures

    def collect(self) -> Iterable[Metric]:
        """Read the tallies, the pool and the figures fetched for this scrape."""
        tallies = self._tallies
        yield _by_label(
            "verifalia_jobs_submitted",
            "jobs stored by this node, by API surface",
            "source",
            dict(tallies.jobs_submitted),
        )
        yield CounterMetricFamily(
            "verifalia_jobs_completed", "jobs this node completed", value=tallies.jobs_completed
        )
        yield CounterMetricFamily(
            "verifalia_jobs_expired",
            "jobs this node expired past their retention",
            value=tallies.jobs_expired,
        )
        verified = CounterMetricFamily(
            "verifalia_entries_verified",
            "verdicts this node wrote, by status and classification",
            labels=["status", "classification"],
        )
        for status, count in sorted(tallies.entries_verified.items()):
            verified.add_metric([status, classify(Status(status)).value], count)
        yield verified
        yield CounterMetricFamily(
            "verifalia_lease_expiries",
            "entries this node claimed after another owner's lease had expired",
            value=tallies.leases_expired,
        )
        yield CounterMetricFamily(
            "verifalia_results_refused",
            "results this node computed but could not write because its lease had expired",
            value=tallies.results_refused,
        )
        yield from self._pool_families()
        yield from self._cluster_families()

    def _pool_families(self) -> Iterable[Metric]:
        pool = self._pool
        connections = GaugeMetricFamily(
            "verifalia_db_pool_connections", "database connections of this node", labels=["state"]
        )
        idle = pool.get_idle_size()
        connections.add_metric(["in_use"], pool.get_size() - idle)
        connections.add_metric(["idle"], idle)
        yield connections
        yield GaugeMetricFamily(
            "verifalia_db_pool_max_connections", "most database connections of this node", pool.get_max_size()
        )

    def _cluster_families(self) -> Iterable[Metric]:
        figures = self._figures
        yield GaugeMetricFamily(
            "verifalia_database_up",
            "whether the database answered this scrape",
            int(figures.queue is not None),
        )
        if figures.queue is not None:
            queue = GaugeMetricFamily(
                "verifalia_queue_entries",
                "entries without a verdict (whole cluster), by state",
                labels=["state"],
            )
            queue.add_metric(["pending"], figures.queue.pending)
            queue.add_metric(["waiting_retry"], figures.queue.waiting_retry)
            queue.add_metric(["leased"], figures.queue.leased)
            queue.add_metric(["lease_expired"], figures.queue.lease_expired)
            yield queue
        if figures.callbacks is not None:
            callbacks = GaugeMetricFamily(
                "verifalia_callback_deliveries",
                "completion callbacks on record (whole cluster), by state",
                labels=["state"],
            )
            callbacks.add_metric(["pending"], figures.callbacks.pending)
            callbacks.add_metric(["delivered"], figures.callbacks.delivered)
            callbacks.add_metric(["abandoned"], figures.callbacks.abandoned)
            yield callbacks
