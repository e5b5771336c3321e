"""The `demo` event that `ticketing serve` seeds in its private mode."""

from ticketing.config import EventSpec, SlotSpec

DEMO_EVENT_ID = "demo"

DEMO_EVENT = EventSpec(
    name="Premiere night",
    slots=[
        SlotSpec(id="s1800", label="18:00", capacity=120),
        SlotSpec(id="s2030", label="20:30", capacity=120),
        SlotSpec(id="s2300", label="23:00", capacity=60),
    ],
    admit_per_second=100.0,
    max_active=400,
    access_ttl_seconds=30,
    hold_ttl_seconds=120,
    max_per_client=4,
)
