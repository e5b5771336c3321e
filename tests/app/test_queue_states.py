"""Position reads of waiting clients come from the process's queue state: fresh, bounded, and
never for a number Redis has not handed out or has already admitted."""

import time
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.app.conftest import ADMIN, bearer, join
from ticketing import queue, queue_states
from ticketing.queue_states import QueueStates

GENERATION = 7  # of the queue in Redis the states were read from


def test_a_fresh_state_answers_only_for_numbers_still_waiting() -> None:
    states = QueueStates()
    states.remember(
        "e", serving=10, seq=20, admit_per_second=5.0, paused=False, generation=GENERATION
    )
    assert states.waiting("e", 15, GENERATION) is not None
    assert states.waiting("e", 10, GENERATION) is None, (
        "at/after admission Redis issues the access token"
    )
    assert states.waiting("e", 21, GENERATION) is None, (
        "a number beyond the queue (reset?) asks Redis"
    )
    assert states.waiting("e", 0, GENERATION) is None, "a ticket without a number asks Redis"
    assert states.waiting("e", 15, GENERATION - 1) is None, "a lost queue's ticket asks Redis"
    assert states.waiting("other", 15, GENERATION) is None


def test_an_admissions_broadcast_moves_the_state_on() -> None:
    """A socket told by a broadcast that its number was admitted must not be answered 'waiting'
    from the state remembered a moment before (it then waited for the next broadcast)."""
    states = QueueStates()
    states.remember(
        "e", serving=3, seq=10, admit_per_second=1.0, paused=False, generation=GENERATION
    )
    states.advance("e", serving=5, seq=12)
    assert states.waiting("e", 5, GENERATION) is None, (
        "admitted by the broadcast: Redis issues the token"
    )
    moved = states.waiting("e", 6, GENERATION)
    assert moved is not None and moved.serving == 5
    assert states.waiting("e", 12, GENERATION) is not None
    states.advance("e", serving=4, seq=12)
    unchanged = states.waiting("e", 6, GENERATION)
    assert unchanged is not None and unchanged.serving == 5, "an older broadcast changes nothing"
    states.advance("unknown", serving=4, seq=12)
    assert states.waiting("unknown", 6, GENERATION) is None


def test_a_stale_or_forgotten_state_asks_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    states = QueueStates()
    states.remember("e", serving=0, seq=5, admit_per_second=1.0, paused=True, generation=GENERATION)
    clock[0] += queue_states.FRESH_SECONDS + 0.01
    assert states.waiting("e", 3, GENERATION) is None
    states.remember("e", serving=0, seq=5, admit_per_second=1.0, paused=True, generation=GENERATION)
    states.forget("e")
    assert states.waiting("e", 3, GENERATION) is None


async def test_pause_and_resume_show_at_once_in_position_reads(
    http: httpx.AsyncClient, new_event
) -> None:
    event_id = await new_event(admit_per_second=0.001)
    await join(http, event_id)
    waiting = await join(http, event_id)
    url = f"/api/v1/events/{event_id}/queue/me"
    assert (await http.get(url, headers=bearer(waiting["ticket"]))).json()[
        "eta_seconds"
    ] is not None
    await http.post(f"/api/v1/events/{event_id}/pause", headers=ADMIN)
    assert (await http.get(url, headers=bearer(waiting["ticket"]))).json()["eta_seconds"] is None
    await http.post(f"/api/v1/events/{event_id}/resume", headers=ADMIN)
    place = (await http.get(url, headers=bearer(waiting["ticket"]))).json()
    assert (place["number"], place["position"], place["admitted"]) == (waiting["number"], 2, False)
    assert place["eta_seconds"] is not None


def test_a_forgotten_state_keeps_the_rate_for_pushes() -> None:
    states = QueueStates()
    assert states.admit_per_second("e") is None
    states.remember(
        "e", serving=0, seq=5, admit_per_second=4.0, paused=False, generation=GENERATION
    )
    states.forget("e")
    assert states.waiting("e", 3, GENERATION) is None
    assert states.admit_per_second("e") == 4.0


def test_a_push_recomputes_the_place_at_the_last_known_rate_or_leaves_it_to_redis() -> None:
    backends: Any = SimpleNamespace(queue_states=QueueStates())
    body = {
        "number": 10,
        "position": 10,
        "ahead": 9,
        "eta_seconds": 5,
        "admitted": False,
        "lapsed": False,
        "access_token": None,
    }
    assert queue.status_at(backends, "e", body, serving=4) is None, "no rate known here yet"
    backends.queue_states.remember(
        "e", serving=0, seq=20, admit_per_second=2.0, paused=False, generation=GENERATION
    )
    backends.queue_states.forget("e")
    assert queue.status_at(backends, "e", body, serving=4) == {
        **body,
        "position": 6,
        "ahead": 5,
        "eta_seconds": 3,
    }
    assert queue.status_at(backends, "e", body, serving=10) is None, (
        "admitted: the access token comes from Redis"
    )
