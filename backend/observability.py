"""One log line per request (no bodies) and the Prometheus registry of one app.

The registry is per app (never prometheus-client's global one), so tests can build many apps.
Queue, worker, engine and job gauges are read at scrape time by `StudioCollector`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from studio_core.outages import DB_OUTAGES, REDIS_OUTAGES

logger = logging.getLogger("backend.requests")
_log = logging.getLogger(__name__)

DURATION_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600)
# Polled endpoints would flood the log at INFO; they are logged at DEBUG unless they fail.
QUIET_ENDPOINTS = frozenset({"system.livez", "system.readyz", "system.prometheus"})


def engine_label(url: str) -> str:
    """The engine URL without user:password@ (a label lands in every scraper's storage)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl()


class StudioCollector(Collector):
    """Gauges read at scrape time from a snapshot function (see backend.status)."""

    def __init__(self, snapshot: Callable[[], dict]):
        self.snapshot = snapshot

    def collect(self) -> Iterator:
        """Yield the queue, job, worker, engine and duration metric families."""
        try:
            snap = self.snapshot()
        except (*REDIS_OUTAGES, *DB_OUTAGES) as exc:
            _log.warning("metrics scrape degraded error=%s", str(exc).splitlines()[0])
            up = GaugeMetricFamily("studio_dependencies_up", "1 when Redis and SQL answered")
            up.add_metric([], 0)
            yield up
            return
        up = GaugeMetricFamily("studio_dependencies_up", "1 when Redis and SQL answered")
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily("studio_queue_depth", "Jobs waiting in the queue")
        depth.add_metric([], snap["queue_length"])
        yield depth
        by_state = GaugeMetricFamily("studio_jobs", "Jobs by state (SQL)", labels=["status"])
        for status, count in sorted(snap["jobs_by_status"].items()):
            by_state.add_metric([status], count)
        yield by_state
        workers = GaugeMetricFamily("studio_workers_online", "Workers with a live heartbeat")
        workers.add_metric([], snap["workers_online"])
        yield workers
        engines = GaugeMetricFamily("studio_engines_online", "ComfyUI backends seen answering")
        engines.add_metric([], snap["engines_online"])
        yield engines
        busy = GaugeMetricFamily(
            "studio_engine_busy",
            "1 while a worker holds a job on this online ComfyUI (average it for busy time)",
            labels=["engine"],
        )
        for url, value in sorted(snap["engines_busy"].items()):
            busy.add_metric([engine_label(url)], value)
        yield busy
        durations = snap["durations"]
        buckets, cumulative = [], 0
        for bound in DURATION_BUCKETS:
            cumulative = sum(1 for d in durations if d <= bound)
            buckets.append((str(float(bound)), cumulative))
        buckets.append(("+Inf", len(durations)))
        hist = HistogramMetricFamily(
            "studio_recent_job_duration_seconds",
            "Run time (started to finished) of the most recent finished jobs",
        )
        hist.add_metric([], buckets, sum_value=sum(durations))
        yield hist


def init_app(
    app: Flask, snapshot: Callable[[], dict], multiprocess_dir: Path | None = None
) -> CollectorRegistry:
    """Count and time every request, log it in one line, and build the registry /metrics reads.

    With `multiprocess_dir` (several server processes, see backend.serving.server) the request
    metrics are read back from every process's files instead of this process's memory.
    """
    registry = CollectorRegistry(auto_describe=True)
    requests_total = Counter(
        "studio_http_requests",
        "HTTP requests",
        ["endpoint", "method", "status"],
        registry=registry,
    )
    latency = Histogram(
        "studio_http_request_duration_seconds",
        "HTTP request latency",
        ["endpoint", "method"],
        registry=registry,
    )
    scrape = registry
    if multiprocess_dir:
        # The counters above write to files; registering them here too would count twice.
        scrape = CollectorRegistry()
        MultiProcessCollector(scrape, path=multiprocess_dir)
    scrape.register(StudioCollector(snapshot))

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    def observe(endpoint, method, status, elapsed, path, ip) -> None:
        requests_total.labels(endpoint, method, str(status)).inc()
        latency.labels(endpoint, method).observe(elapsed)
        level = logging.DEBUG if endpoint in QUIET_ENDPOINTS and status < 400 else logging.INFO
        logger.log(
            level,
            "request method=%s path=%s status=%s ms=%.1f ip=%s",
            method,
            path,
            status,
            elapsed * 1000,
            ip,
        )

    @app.after_request
    def record(response):
        elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
        # Unknown paths share one label so a scanner cannot explode the label set.
        endpoint = request.endpoint or "unmatched"
        observe(
            endpoint,
            request.method,
            response.status_code,
            elapsed,
            request.path,
            request.remote_addr,
        )
        return response

    # Routes served outside Flask (backend.streams.sse) count and log through the same function.
    app.extensions["studio_observe"] = observe
    app.extensions["studio_metrics"] = scrape
    return scrape
