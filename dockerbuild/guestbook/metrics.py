"""Prometheus metrics, served on a port of their own (METRICS_PORT) so that /metrics is
never reachable through the ALB, which targets the API's port only.

The metrics server is prometheus_client's own, in a daemon thread beside uvicorn: a scrape
needs neither the event loop nor a worker thread nor the database, so it answers while the
database is down and requests queue at the gate. The app's series (the alert rules,
stacks/constructs/observability/rules.py, read the first two):

    guestbook_http_requests_total{route, method, status}       requests answered
    guestbook_http_request_duration_seconds{route, method}     their duration (histogram)
    guestbook_database_pool_{size,available,max,requests_waiting}  the pool, read at scrape time
    guestbook_database_credential_reloads_total                new logins under another user name

`route` is the matched route's template, "unmatched" for a path no route knows, so a
client cannot create series by inventing paths; `method` is one of the standard methods
or "other", for the same reason.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, start_http_server
from prometheus_client.metrics import disable_created_metrics
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from starlette.types import ASGIApp, Receive, Scope, Send

from guestbook.exchange import Exchange

log = logging.getLogger(__name__)

# A `_created` series beside every counter and histogram doubles what the collector ingests
# (and AMP bills per sample) for a timestamp that rate() and increase() never read.
disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated in prometheus_client 0.26

UNMATCHED = "unmatched"
OTHER_METHOD = "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})
# Bucket edges in seconds. 0.5 is the SLO's p99 bound (environments/*.yaml, observability.slo),
# so the latency alert compares against an edge, not an interpolation; a request that waited
# out DATABASE_WAIT_SECONDS (1 s) and was answered 503 lands between 1 and 1.5.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0)
# psycopg_pool's get_stats() keys that are measures (not counters), and the gauges they become.
POOL_GAUGES = (
    ("pool_size", "guestbook_database_pool_size", "Connections the pool holds: idle, in use or being opened"),
    ("pool_available", "guestbook_database_pool_available", "Idle connections ready in the pool"),
    ("pool_max", "guestbook_database_pool_max", "Most connections the pool opens (DATABASE_POOL_MAX)"),
    ("requests_waiting", "guestbook_database_pool_requests_waiting", "Requests waiting for a connection"),
)


class Pool(Protocol):
    def get_stats(self) -> dict[str, int]: ...


class PoolCollector:
    """The pool's gauges as they are at scrape time. psycopg_pool's get_stats() reads its
    counts without taking the pool's lock, so a scrape never waits for a connection."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def describe(self) -> Iterator[Metric]:
        for _, name, documentation in POOL_GAUGES:
            yield GaugeMetricFamily(name, documentation)

    def collect(self) -> Iterator[Metric]:
        stats = self._pool.get_stats()
        for key, name, documentation in POOL_GAUGES:
            yield GaugeMetricFamily(name, documentation, value=stats.get(key, 0))


class Metrics:
    """The app's instruments, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # memory, CPU, open files of the process
        self.requests = Counter(
            "guestbook_http_requests_total",
            "HTTP requests answered, by route template, method and status code",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "guestbook_http_request_duration_seconds",
            "Time from a request's arrival until its answer is sent, by route template and method",
            ["route", "method"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.credential_reloads = Counter(
            "guestbook_database_credential_reloads_total",
            "New database connections that logged in as another user than the previous one:"
            " a rotated credential reached the app",
            registry=self.registry,
        )
        self._login: str | None = None
        self._login_lock = threading.Lock()  # the pool opens connections from several threads

    def watch_pool(self, pool: Pool) -> None:
        self.registry.register(PoolCollector(pool))

    def note_login(self, username: str) -> None:
        """A new connection logged in as `username`; the first login of the process is no reload."""
        with self._login_lock:
            changed = self._login is not None and username != self._login
            self._login = username
        if changed:
            self.credential_reloads.inc()
            log.info("database login changed", extra={"username": username})

    def serve(self, host: str, port: int) -> None:
        """Serve the registry on host:port in a daemon thread (OSError if the port is taken)."""
        start_http_server(port, addr=host, registry=self.registry)


class RequestMetrics:
    """ASGI middleware: counts and times every HTTP request by its route's template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange()
        try:
            await self.app(scope, receive, exchange.noting(send))
        finally:
            # The router leaves the route it matched (fully, or by path only for a 405) in the scope.
            template = getattr(scope.get("route"), "path", None)
            route = template if isinstance(template, str) else UNMATCHED
            method = scope["method"] if scope["method"] in METHODS else OTHER_METHOD
            self.metrics.requests.labels(route, method, str(exchange.status)).inc()
            self.metrics.duration.labels(route, method).observe(exchange.seconds)
