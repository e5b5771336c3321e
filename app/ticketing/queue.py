"""The waiting room: joining (one script call) and a client's place, computed from `serving`."""

import math
from typing import Any, NamedTuple

from ticketing.backends import Backends
from ticketing.errors import ApiError
from ticketing.events import event_script


class Place(NamedTuple):
    """A client's place; `number` is None until a scheduled opening has assigned it."""

    outcome: str
    number: int | None
    serving: int
    admit_per_second: float
    paused: bool
    generation: int = 0

    @classmethod
    def from_script(cls, result: list[Any]) -> "Place":
        outcome, number, serving, _seq, rate, paused, generation = result
        pending = outcome.startswith(b"pending")
        return cls(
            outcome.decode(),
            None if pending else int(number),
            int(serving),
            float(rate),
            paused == b"1",
            int(generation),
        )

    def public(self) -> dict[str, Any]:
        if self.number is None:
            return {"number": None, "position": None, "ahead": None, "eta_seconds": None}
        # comparisons, not max(): this is most of a position read's own arithmetic
        position = self.number - self.serving if self.number > self.serving else 0
        ahead = position - 1 if position else 0
        eta = None if self.paused else math.ceil(ahead / self.admit_per_second)
        return {"number": self.number, "position": position, "ahead": ahead, "eta_seconds": eta}


def _place(backends: Backends, event_id: str, result: list[Any]) -> Place | None:
    """The place in a `join` or `status` reply; None when the client has none. Refreshes the queue
    state.
    """
    if result[0] == b"unknown":
        return None
    place = Place.from_script(result)
    backends.queue_states.remember(
        event_id,
        place.serving,
        int(result[3]),
        place.admit_per_second,
        place.paused,
        place.generation,
    )
    return place


async def join(backends: Backends, event_id: str, client_id: str) -> tuple[bool, dict[str, Any]]:
    """Returns (created, body). The same client keeps its ticket and number."""
    place = _place(backends, event_id, await event_script(backends, "join", event_id, client_id))
    if place is None:
        raise RuntimeError("the join script answered without a place")
    # the ticket carries the number, so position reads of waiting clients need no Redis
    ticket = backends.tokens.issue(
        "ticket", event_id, client_id, place.number or 0, place.generation
    )
    created = place.outcome in ("new", "pending_new")
    return created, {"ticket": ticket, **place.public()}


async def status(
    backends: Backends, event_id: str, client_id: str, number: int = 0, generation: int = 0
) -> dict[str, Any]:
    """`number` and `generation` are the ones signed in the client's ticket (number 0: unknown, ask
    Redis). A ticket of a queue lost since (a Redis loss) reclaims its order while the rebuilt
    queue's reclaim window is open (lua/reclaim.lua); the reply then carries a new `ticket`."""
    state = backends.queue_states.waiting(event_id, number, generation)
    if state is not None:
        place: Place | None = Place(
            "waiting", number, state.serving, state.admit_per_second, state.paused, generation
        )
    else:
        place = _place(
            backends, event_id, await event_script(backends, "status", event_id, client_id)
        )
    if place is None and number and generation:
        reclaimed = await event_script(backends, "reclaim", event_id, client_id, number, generation)
        place = _place(backends, event_id, reclaimed)
    if place is None:
        raise ApiError(
            404,
            "not_in_queue",
            "this ticket has no place in the queue (it may have been reset); join again",
        )
    body = place.public()
    body["admitted"] = admitted = place.outcome == "admitted"
    body["lapsed"] = place.outcome == "lapsed"
    body["access_token"] = (
        backends.tokens.issue("access", event_id, client_id, place.number or 0, place.generation)
        if admitted
        else None
    )
    if generation and place.generation != generation:  # a reclaimed place: a ticket of this queue
        body["ticket"] = backends.tokens.issue(
            "ticket", event_id, client_id, place.number or 0, place.generation
        )
    return body


def status_at(
    backends: Backends, event_id: str, body: dict[str, Any], serving: int
) -> dict[str, Any] | None:
    """Recomputes a waiting client's `body` from a broadcast `serving`, at the event's last known
    rate; None once admitted (the access token comes from Redis) or while no rate is known here."""
    number, admit_per_second = body["number"], backends.queue_states.admit_per_second(event_id)
    if number is None or number <= serving or admit_per_second is None:
        return None
    place = Place("waiting", number, serving, admit_per_second, False)
    return {**body, **place.public()}
