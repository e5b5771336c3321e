"""The request-latency histogram's own arithmetic, as Prometheus reads it."""

from prometheus_client import CollectorRegistry, generate_latest

from ticketing.metrics import RequestLatency


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
    assert samples[f'{RequestLatency.NAME}_count{{{series}}}'] == 4
    assert abs(samples[f'{RequestLatency.NAME}_sum{{{series}}}'] - 7.0044) < 1e-9
    assert samples[f'{RequestLatency.NAME}_count{{method="GET",route="/r",status="404"}}'] == 1


def test_nothing_observed_exposes_no_series() -> None:
    assert not any(name.startswith(RequestLatency.NAME) for name in exposed(RequestLatency()))
