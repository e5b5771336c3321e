"""The lock-free metric collectors' own arithmetic, as Prometheus reads it."""

from prometheus_client import CollectorRegistry, generate_latest

from ticketing.metrics import LockFreeCounter, RequestLatency


def exposed(latency: RequestLatency) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(latency)
    samples = {}
    for line in generate_latest(registry).decode().splitlines():
        if not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_buckets_are_cumulative_with_le_bounds_an_infinite_bucket_a_count_and_a_sum() -> None:
    latency = RequestLatency()
    for seconds in (0.0004, 0.001, 0.003, 7.0):  # 0.001 itself falls in le="0.001"
        latency.observe("GET", "/r", 200, seconds)
    latency.observe("GET", "/r", 404, 0.02)
    samples = exposed(latency)
    series = 'method="GET",route="/r",status="200"'
    assert samples[f'{RequestLatency.NAME}_bucket{{le="0.001",{series}}}'] == 2
    assert samples[f'{RequestLatency.NAME}_bucket{{le="0.0025",{series}}}'] == 2
    assert samples[f'{RequestLatency.NAME}_bucket{{le="0.005",{series}}}'] == 3
    assert samples[f'{RequestLatency.NAME}_bucket{{le="5.0",{series}}}'] == 3
    assert samples[f'{RequestLatency.NAME}_bucket{{le="+Inf",{series}}}'] == 4
    assert samples[f"{RequestLatency.NAME}_count{{{series}}}"] == 4
    assert abs(samples[f"{RequestLatency.NAME}_sum{{{series}}}"] - 7.0044) < 1e-9
    assert samples[f'{RequestLatency.NAME}_count{{method="GET",route="/r",status="404"}}'] == 1


def test_nothing_observed_exposes_no_series() -> None:
    assert not any(name.startswith(RequestLatency.NAME) for name in exposed(RequestLatency()))


def test_a_lock_free_counter_adds_up_per_label_values_and_is_exposed_as_a_counter() -> None:
    registry = CollectorRegistry()
    joins = LockFreeCounter("test_joins_total", "Joins", ["event", "outcome"], registry=registry)
    joins.inc("ev-1", "new")
    joins.inc("ev-1", "new")
    joins.inc("ev-1", "again", amount=3)
    joins.inc("ev-2", "new")
    text = generate_latest(registry).decode()
    assert "# TYPE test_joins_total counter" in text
    assert 'test_joins_total{event="ev-1",outcome="new"} 2.0' in text
    assert 'test_joins_total{event="ev-1",outcome="again"} 3.0' in text
    assert 'test_joins_total{event="ev-2",outcome="new"} 1.0' in text


def test_a_lock_free_counter_never_increased_exposes_no_sample() -> None:
    registry = CollectorRegistry()
    LockFreeCounter("test_idle_total", "Idle", ["event"], registry=registry)
    assert [
        line for line in generate_latest(registry).decode().splitlines() if not line.startswith("#")
    ] == []
