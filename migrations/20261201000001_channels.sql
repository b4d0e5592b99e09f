-- Notification channels (SPEC §6): group robots and partner webhooks on the same outbox as email.
--
-- A channel's outbox row names it as its recipient, `channel:<name>` (a channel name is
-- `[a-z0-9_-]`, so it never reads as an email address); `channel` says which channel a row
-- is for, `email` for mail. Written by `intake_record` unchanged: the service puts the channels
-- into the recipients it passes.
ALTER TABLE outbox
    ADD COLUMN channel text NOT NULL GENERATED ALWAYS AS (
        CASE WHEN recipient LIKE 'channel:%' THEN substr(recipient, 9) ELSE 'email' END) STORED;

-- An attempt the platform answered by throttling: recorded, not counted against max_attempts.
ALTER TABLE outbox_attempts DROP CONSTRAINT outbox_attempts_outcome_check;
ALTER TABLE outbox_attempts ADD CONSTRAINT outbox_attempts_outcome_check
    CHECK (outcome IN ('sent', 'transient', 'permanent', 'throttled'));

-- Every request made to a channel, whatever it was answered: a channel's rate limit counts
-- them over the last 60 seconds across every instance. Rows older than a minute are deleted as
-- requests are taken.
CREATE TABLE channel_requests (
    channel text        NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channel_requests_channel_at_idx ON channel_requests (channel, at);

-- A channel the platform throttled sends nothing until `until` (its throttle_pause).
CREATE TABLE channel_pauses (
    channel text        NOT NULL,
    until   timestamptz NOT NULL,
    CONSTRAINT channel_pauses_pkey PRIMARY KEY (channel)
);
