"""Scheduled openings raise the HPA floor ahead of time and put it back after (chart CronJobs)."""

from __future__ import annotations

from components import sizing
from tests.infra.recorded import one
from tests.infra.test_config import config_error, set_path

RELEASE = "kubernetes:helm.sh/v3:Release"


def test_prods_opening_raises_the_floor_30_minutes_ahead_and_restores_it(prod):
    values = one(prod, RELEASE, "ticketing-prod-services-chart").inputs["values"]
    needed = sizing.pods_needed(50_000, sizing.Measured.load(), 1.0, 55)
    # 2027-01-15T10:00+09:00 is 01:00 UTC: raised at 00:30, restored at 02:00 after 60 minutes
    assert values["prescale"]["schedules"] == [
        {"name": "opening-0-raise", "schedule": "30 0 15 1 *", "minReplicas": needed},
        {"name": "opening-0-restore", "schedule": "0 2 15 1 *", "minReplicas": 3},
    ]
    assert values["autoscaling"]["minReplicas"] == 3, "steady state stays small"


def test_stacks_without_openings_schedule_nothing(dev):
    values = one(dev, RELEASE, "ticketing-dev-services-chart").inputs["values"]
    assert values["prescale"] == {"schedules": []}


def test_an_opening_time_needs_its_zone():
    error = config_error(
        set_path(
            "ticketing:services.openings", [{"at": "2027-01-15T10:00:00", "expectedPeakRps": 100}]
        )
    )
    assert (error.key, error.value) == ("services.openings[0].at", "2027-01-15T10:00:00")


def test_an_opening_cannot_expect_more_than_the_stack_is_sized_for():
    error = config_error(
        set_path(
            "ticketing:services.openings",
            [{"at": "2027-01-15T10:00:00+09:00", "expectedPeakRps": 501}],
        )
    )
    assert (error.key, error.value) == ("services.openings[0].expectedPeakRps", 501)
