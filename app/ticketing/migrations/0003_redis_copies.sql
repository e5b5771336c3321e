-- The generation of each Redis deployment's copy of an event (events.install_event). Regions that
-- share this database, each with a Redis of its own (prod and the dr standby through the global
-- writer endpoint), fence only their own earlier copies: one region loading an event into its
-- Redis must not refuse the other region's confirms.
CREATE TABLE redis_copies (
    event_id    text NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    deployment  text NOT NULL,
    generation  bigint NOT NULL,
    PRIMARY KEY (event_id, deployment)
);

INSERT INTO redis_copies (event_id, deployment, generation)
SELECT event_id, 'default', redis_generation FROM events WHERE redis_generation > 0;

ALTER TABLE events DROP COLUMN redis_generation;
