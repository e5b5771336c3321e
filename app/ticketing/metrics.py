"""Prometheus metrics. Per process: with several workers, scrape each (the chart scrapes pods)."""

import bisect
import itertools
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import HistogramMetricFamily
from prometheus_client.utils import floatToGoString

REGISTRY = CollectorRegistry()

QUEUE_WAITING = Gauge("ticketing_queue_waiting", "Clients waiting to be admitted", ["event"], registry=REGISTRY)
ACTIVE_CLIENTS = Gauge("ticketing_active_clients", "Admitted clients holding a place in max_active", ["event"], registry=REGISTRY)
ADMISSIONS = Counter("ticketing_admissions_total", "Clients admitted by this process's admission steps", ["event"], registry=REGISTRY)
QUEUE_JOINS = Counter("ticketing_queue_joins_total", "Queue joins", ["event", "outcome"], registry=REGISTRY)
HOLDS = Counter("ticketing_holds_total", "Hold attempts by outcome", ["event", "outcome"], registry=REGISTRY)
BOOKINGS = Counter("ticketing_bookings_total", "Confirmed bookings (seats in `seats`)", ["event"], registry=REGISTRY)
BOOKED_SEATS = Counter("ticketing_booked_seats_total", "Seats in confirmed bookings", ["event"], registry=REGISTRY)


class RequestLatency:
    """`ticketing_http_request_duration_seconds` by method, route and status, read by the registry at
    scrape time. A process serves its requests on one event loop, so an observation is two list
    updates: a prometheus_client Histogram takes a lock twice per observation, which on the hot
    routes costs more than anything else of theirs but the response itself."""

    NAME = "ticketing_http_request_duration_seconds"
    BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

    def __init__(self) -> None:
        # per (method, route, status): a count per bucket, one for +Inf, then the sum of seconds
        self._series: dict[tuple[str, str, int], list[float]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = [0] * (len(self.BUCKETS) + 2)
        series[bisect.bisect_left(self.BUCKETS, seconds)] += 1  # the first bucket with le >= seconds
        series[-1] += seconds

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self.NAME, "HTTP request latency", labels=["method", "route", "status"])
        bounds = [floatToGoString(bound) for bound in (*self.BUCKETS, float("inf"))]
        for (method, route, status), series in self._series.items():
            cumulative = itertools.accumulate(series[:-1])
            family.add_metric([method, route, str(status)], list(zip(bounds, cumulative)), series[-1])
        yield family


REQUEST_LATENCY = RequestLatency()
REGISTRY.register(REQUEST_LATENCY)

# labels() checks and locks on every call; the hot paths' children are few (events, outcomes), so
# they are kept.
_children: dict[tuple[MetricWrapperBase | str | int, ...], MetricWrapperBase] = {}


def labelled(metric: MetricWrapperBase, *values: str | int) -> MetricWrapperBase:
    key = (metric, *values)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*map(str, values))
    return child


observe_request = REQUEST_LATENCY.observe


def record_admission_step(event_id: str, waiting: int, admitted: int, active: int) -> None:
    labelled(QUEUE_WAITING, event_id).set(max(0, waiting))
    labelled(ACTIVE_CLIENTS, event_id).set(active)
    if admitted:
        labelled(ADMISSIONS, event_id).inc(admitted)


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
