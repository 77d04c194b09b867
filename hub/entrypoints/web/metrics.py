"""``/metrics`` for Prometheus: ingest, lag and answer times, in the app's own registry.

Every value is a count, a position or a time: nothing about a child, and no label taken from
a request but the route's template (``/api/v1/foi/{statistic}``), so a URL's values never
become a series. Ingest and lag are read when scraped, from the store, the projection and the
serving report ``hub serve`` writes; a part that cannot be read now is left out of that scrape
(``hub_up{part=...}`` says which), never reported as zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hub.errors import HubError
from hub.service.health import Report

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_T = TypeVar("_T")
ANSWER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Probes:
    """What the metrics and ``/healthz`` read, each when asked (built by ``hub.bootstrap``)."""

    ingest: Callable[[], Mapping[str, int]]  # stored, rejected, position
    projected: Callable[[], int]  # the projection's head position
    serving: Callable[[], Report | None]  # the running hub serve's report; None: not running
    health: Callable[[], list[str]]  # hub.service.health.problems, now


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.answer_seconds = Histogram(
            "hub_web_request_seconds",
            "Time to answer a request, by route template",
            ["route", "method"],
            buckets=ANSWER_BUCKETS,
            registry=self.registry,
        )
        self.responses = Counter(
            "hub_web_responses",
            "Responses, by route template and status class",
            ["route", "status"],
            registry=self.registry,
        )
        self.sign_ins = Counter(
            "hub_web_sign_ins",
            "Sign-in attempts, by outcome (ok, failed, limited)",
            ["outcome"],
            registry=self.registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.answer_seconds.labels(route, method).observe(seconds)
        self.responses.labels(route, f"{status // 100}xx").inc()

    def scrape(self, probes: Probes) -> bytes:
        """The exposition text, with ingest and lag read through ``probes`` now (in a
        registry of their own, made for this scrape, so two scrapes never share one)."""
        now = CollectorRegistry(auto_describe=False)
        now.register(_Scraped(probes))
        return generate_latest(self.registry) + generate_latest(now)


class _Scraped(Collector):
    """The gauges read at scrape time."""

    def __init__(self, probes: Probes) -> None:
        self.probes = probes

    def describe(self) -> list[Metric]:
        return []  # read only at scrape time; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        probes = self.probes
        up = GaugeMetricFamily("hub_up", "Whether each part could be read", labels=["part"])
        ingest = _read(probes.ingest)
        up.add_metric(["store"], ingest is not None)
        position = None
        if ingest is not None:
            position = ingest["position"]
            yield _counter("hub_facts_stored", "Facts the store holds", ingest["stored"])
            yield _counter("hub_rejects", "Messages refused and recorded", ingest["rejected"])
            yield _gauge("hub_store_position", "The store's last position", position)
        projected = _read(probes.projected)
        up.add_metric(["projection"], projected is not None)
        if projected is not None:
            yield _gauge("hub_projection_position", "The projection's head position", projected)
            if position is not None:
                yield _gauge(
                    "hub_projector_lag",
                    "Facts stored and not yet projected (store position - projection head)",
                    max(position - projected, 0),
                )
        report = _read(probes.serving)
        up.add_metric(["serve"], report is not None)
        if report is not None:
            for name, value, text in (
                ("hub_consumer_pending", report.consumer_pending, "Events waiting in the stream"),
                (
                    "hub_consumer_ack_pending",
                    report.consumer_ack_pending,
                    "Events delivered to the hub and not yet acknowledged",
                ),
            ):
                if value is not None:
                    yield _gauge(name, text, value)
            yield _gauge(
                "hub_nats_connected",
                "Whether hub serve is connected to NATS",
                report.nats_connected,
            )
        yield up


def _read(probe: Callable[[], _T]) -> _T | None:
    try:
        return probe()
    except (HubError, OSError):  # the store down, a file unreadable: left out, hub_up says so
        return None


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, value=float(value))


def _counter(name: str, text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, text, value=float(value))
