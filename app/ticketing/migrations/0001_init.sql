-- Events, their slots and confirmed bookings: the durable record Redis is rebuilt from.
CREATE TABLE events (
    event_id      text PRIMARY KEY,
    name          text NOT NULL,
    config        jsonb NOT NULL,
    opening_seed  bytea NOT NULL,
    paused        boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE slots (
    event_id   text NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    slot_id    text NOT NULL,
    label      text NOT NULL,
    position   integer NOT NULL,
    capacity   integer NOT NULL CHECK (capacity >= 0),
    remaining  integer NOT NULL,
    PRIMARY KEY (event_id, slot_id),
    -- The final authority against overselling: a confirm that would go below zero fails.
    CONSTRAINT slots_not_oversold CHECK (remaining >= 0),
    CONSTRAINT slots_remaining_within_capacity CHECK (remaining <= capacity)
);

CREATE TABLE bookings (
    booking_id       text PRIMARY KEY,
    event_id         text NOT NULL,
    slot_id          text NOT NULL,
    quantity         integer NOT NULL CHECK (quantity > 0),
    client_id        text NOT NULL,
    hold_id          text NOT NULL UNIQUE,
    idempotency_key  text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (event_id, slot_id) REFERENCES slots (event_id, slot_id),
    UNIQUE (event_id, client_id, idempotency_key)
);

CREATE INDEX bookings_by_event_client ON bookings (event_id, client_id);
