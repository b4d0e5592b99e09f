-- An admin sent a dead notification again (SPEC §6, POST …/notifications/{id}/retry): a timeline
-- event `notification_retried` {recipient, kind, by, attempts, error}.
ALTER TABLE inquiry_events DROP CONSTRAINT inquiry_events_kind_check;
ALTER TABLE inquiry_events ADD CONSTRAINT inquiry_events_kind_check
    CHECK (kind IN ('received', 'repeat', 'status_changed', 'assigned', 'note', 'anonymised',
                    'notification_sent', 'notification_dead', 'notification_retried'));

-- Dead rows by channel, for `/metrics` at every scrape (`outbox::gauges`, `gauges_by_channel`):
-- the outbox is never pruned, and dead rows are few. Partial, so the intake's pending rows are
-- not in it.
CREATE INDEX outbox_dead_idx ON outbox (channel) WHERE state = 'dead';
