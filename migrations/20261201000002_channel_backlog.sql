-- A channel's waiting rows, oldest first: what a fold carries (SPEC §6, `outbox::claim_waiting_for`).
-- Partial on channel rows, so an email row (most of the outbox) costs the intake nothing here.
CREATE INDEX outbox_channel_waiting_idx ON outbox (recipient, created_at)
    WHERE state IN ('pending', 'waiting') AND channel <> 'email';
