"""The single-event ceiling and the booking cost measured on real redis-server and PostgreSQL."""

import dataclasses

import pytest

from app.bench import booking_cost, event_ceiling


@pytest.fixture(scope="module")
def ceiling() -> event_ceiling.EventCeiling:
    return event_ceiling.measure(joins=1000, holds=200, steps=50, subscribers=5)


def test_every_operation_costs_redis_cpu(ceiling):
    costs = [*ceiling.joins, *ceiling.holds, ceiling.admission_step]
    assert all(cost.cpu_us > 0 and cost.script_us > 0 for cost in costs)
    assert [cost.batch for cost in ceiling.joins] == list(event_ceiling.JOIN_BATCH_SIZES)
    assert ceiling.bytes_per_waiting_client > 0


def test_merged_joins_cost_less_each_than_lone_ones(ceiling):
    by_batch = {cost.batch: cost.cpu_us for cost in ceiling.joins}
    assert by_batch[500] < by_batch[1]


def test_join_cost_between_measured_batches_lies_between_them(ceiling):
    lone, merged = ceiling.join_cost(1), ceiling.join_cost(500)
    assert ceiling.join_cost(0.5) == lone and ceiling.join_cost(5000) == merged
    for low, high in zip(ceiling.joins, ceiling.joins[1:], strict=False):
        middle = ceiling.join_cost((low.batch + high.batch) / 2)
        assert min(low.cpu_us, high.cpu_us) <= middle <= max(low.cpu_us, high.cpu_us)


def test_the_ceiling_shrinks_with_the_replicas_admission_steps(ceiling):
    assert ceiling.joins_per_s(1, replicas=100) < ceiling.joins_per_s(1, replicas=1)
    cheap = dataclasses.replace(
        ceiling, joins=[dataclasses.replace(cost, cpu_us=cost.cpu_us / 2) for cost in ceiling.joins]
    )
    assert cheap.joins_per_s(1, 1) > ceiling.joins_per_s(1, 1)


def test_joins_share_a_run_when_a_pod_gets_many_per_round_trip():
    assert event_ceiling.joins_per_batch(1_000, replicas=10, round_trip_ms=0.5) == 1.0
    assert event_ceiling.joins_per_batch(200_000, replicas=10, round_trip_ms=1) == 20


def test_the_report_prints_the_events_ceiling(ceiling):
    text = event_ceiling.ceiling_text(ceiling, 50_000, 12, 0.5)
    assert "One event's ceiling:" in text and "joins/s at one full Redis core" in text


def test_a_booking_costs_postgres_cpu():
    assert booking_cost.measure(bookings=200) > 0
