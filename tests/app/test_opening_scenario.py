"""`ticketing surge --scenario opening` against a real server: buyers arrive over time, hold both
sockets, hold 1-4 seats and mostly confirm; nothing oversold, no seat leaked once holds expire."""

import os
import subprocess

import httpx
import orjson

from tests.app.conftest import ADMIN, event_body
from tests.app.test_cli import TICKETING

USERS = 80


def test_an_opening_sells_out_without_overselling_or_leaking(base_url: str) -> None:
    slots = [
        {"id": "a", "label": "early", "capacity": 30},
        {"id": "b", "label": "late", "capacity": 30},
    ]
    response = httpx.put(
        f"{base_url}/api/v1/events/opening-test",
        headers=ADMIN,
        json=event_body(slots=slots, admit_per_second=200, hold_ttl_seconds=2),
    )
    assert response.status_code in (200, 201)
    surge = subprocess.run(
        [
            *TICKETING,
            "surge",
            "--url",
            base_url,
            "--event",
            "opening-test",
            "--clients",
            str(USERS),
            "--scenario",
            "opening",
            "--arrival-seconds",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=dict(os.environ),
    )
    assert surge.returncode == 0, surge.stdout + surge.stderr
    report = orjson.loads(surge.stdout.splitlines()[-1])

    assert report["errors"] == {}
    assert (report["oversold"], report["leaked_seats"]) == (0, 0)
    event = httpx.get(f"{base_url}/api/v1/events/opening-test").json()
    remaining = sum(slot["remaining"] for slot in event["slots"])
    assert report["booked_seats"] == 60 - remaining
    outcomes = report["outcomes"]
    assert outcomes["admitted"] + outcomes.get("sold_out_waiting", 0) == USERS
    assert outcomes["booked"] > 0 and outcomes.get("sold_out", 0) > 0
    assert report["steps"]["join"]["requests"] == USERS
    assert report["steps"]["hold"]["p99_ms"] >= report["steps"]["hold"]["p50_ms"] > 0
    assert report["push_lag_ms"]["pushes"] > 0
