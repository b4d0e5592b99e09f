-- Dead rows by channel, for `/metrics` at every scrape (`outbox::gauges`, `gauges_by_channel`):
-- the outbox is never pruned, and dead rows are few. Partial, so the intake's pending rows are
-- not in it.
CREATE INDEX outbox_dead_idx ON outbox (channel) WHERE state = 'dead';
