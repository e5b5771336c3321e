"""Each process remembers every event's queue state (`serving`, `seq`, rate, paused) for a moment,
so a waiting client's position (`number - serving`, the number signed in its ticket) is answered
without a Redis round trip. Any script reply about the event refreshes it; after FRESH_SECONDS
without one the next request asks Redis, so a paused, resumed or reset queue shows within that."""

import math
import time
from typing import NamedTuple

FRESH_SECONDS = 0.25


class QueueState(NamedTuple):
    serving: int
    seq: int
    admit_per_second: float
    paused: bool
    read_at: float
    generation: int = 0  # of the queue in Redis (events.install_event)


class QueueStates:
    def __init__(self) -> None:
        self._states: dict[str, QueueState] = {}

    def remember(
        self,
        event_id: str,
        serving: int,
        seq: int,
        admit_per_second: float,
        paused: bool,
        generation: int,
    ) -> None:
        self._states[event_id] = QueueState(
            serving, seq, admit_per_second, paused, time.monotonic(), generation
        )

    def forget(self, event_id: str) -> None:
        """The next position read asks Redis; the rate stays known for pushes
        (`admit_per_second`).
        """
        state = self._states.get(event_id)
        if state is not None:
            self._states[event_id] = state._replace(read_at=-math.inf)

    def advance(self, event_id: str, serving: int, seq: int) -> None:
        """A broadcast of admissions moves the remembered state on; its age stays that of the
        last script reply (the broadcast says nothing of the rate or a pause)."""
        state = self._states.get(event_id)
        if state is not None and serving > state.serving:
            self._states[event_id] = state._replace(serving=serving, seq=max(seq, state.seq))

    def admit_per_second(self, event_id: str) -> float | None:
        """The event's rate in the latest reply seen, however old; None before any."""
        state = self._states.get(event_id)
        return None if state is None else state.admit_per_second

    def waiting(self, event_id: str, number: int, generation: int) -> QueueState | None:
        """The fresh state when it shows `number` still waiting; None when only Redis can tell
        (unknown or stale state, a number at/after admission or beyond the numbers handed out, or
        a ticket of another generation of the queue: its number is not this queue's).
        """
        state = self._states.get(event_id)
        if (
            state is None
            or time.monotonic() - state.read_at > FRESH_SECONDS
            or state.generation != generation
        ):
            return None
        return state if state.serving < number <= state.seq else None
