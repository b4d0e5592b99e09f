-- An admin sent a dead notification again (SPEC §6, POST …/notifications/{id}/retry): a timeline
-- event `notification_retried` {recipient, kind, by, attempts, error}.
ALTER TABLE inquiry_events DROP CONSTRAINT inquiry_events_kind_check;
ALTER TABLE inquiry_events ADD CONSTRAINT inquiry_events_kind_check
    CHECK (kind IN ('received', 'repeat', 'status_changed', 'assigned', 'note', 'anonymised',
                    'notification_sent', 'notification_dead', 'notification_retried'));
