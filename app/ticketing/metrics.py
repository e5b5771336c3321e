"""Prometheus metrics. Per process: with several workers, scrape each (the chart scrapes pods)."""

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

REGISTRY = CollectorRegistry()

QUEUE_WAITING = Gauge("ticketing_queue_waiting", "Clients waiting to be admitted", ["event"], registry=REGISTRY)
ACTIVE_CLIENTS = Gauge("ticketing_active_clients", "Admitted clients holding a place in max_active", ["event"], registry=REGISTRY)
ADMISSIONS = Counter("ticketing_admissions_total", "Clients admitted by this process's admission steps", ["event"], registry=REGISTRY)
QUEUE_JOINS = Counter("ticketing_queue_joins_total", "Queue joins", ["event", "outcome"], registry=REGISTRY)
HOLDS = Counter("ticketing_holds_total", "Hold attempts by outcome", ["event", "outcome"], registry=REGISTRY)
BOOKINGS = Counter("ticketing_bookings_total", "Confirmed bookings (seats in `seats`)", ["event"], registry=REGISTRY)
BOOKED_SEATS = Counter("ticketing_booked_seats_total", "Seats in confirmed bookings", ["event"], registry=REGISTRY)
REQUEST_SECONDS = Histogram(
    "ticketing_http_request_duration_seconds", "HTTP request latency", ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=REGISTRY,
)

# labels() checks and locks on every call; the hot paths' children are few (routes, statuses,
# events), so they are kept.
_children: dict[tuple[MetricWrapperBase | str | int, ...], MetricWrapperBase] = {}


def labelled(metric: MetricWrapperBase, *values: str | int) -> MetricWrapperBase:
    key = (metric, *values)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*map(str, values))
    return child


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    labelled(REQUEST_SECONDS, method, route, status).observe(seconds)


def record_admission_step(event_id: str, waiting: int, admitted: int, active: int) -> None:
    labelled(QUEUE_WAITING, event_id).set(max(0, waiting))
    labelled(ACTIVE_CLIENTS, event_id).set(active)
    if admitted:
        labelled(ADMISSIONS, event_id).inc(admitted)


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
