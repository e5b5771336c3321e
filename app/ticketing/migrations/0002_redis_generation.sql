-- The generation of the event's copy in Redis (events.install_event): a confirm begun under an
-- earlier copy, one that a Redis loss took with its hold, books nothing.
ALTER TABLE events ADD COLUMN redis_generation bigint NOT NULL DEFAULT 0;
