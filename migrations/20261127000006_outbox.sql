-- The notification outbox: one row per inquiry and recipient, written in the intake
-- transaction and worked by the notify workers (SPEC §3). Rows are never deleted.
CREATE TABLE outbox (
    id               uuid        NOT NULL,
    inquiry_id       uuid        NOT NULL,
    recipient        text        NOT NULL,
    state            text        NOT NULL DEFAULT 'pending',
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz, -- a worker's claim; past it, another worker may retry
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT outbox_pkey PRIMARY KEY (id),
    CONSTRAINT outbox_inquiry_id_fkey FOREIGN KEY (inquiry_id) REFERENCES inquiries (id),
    CONSTRAINT outbox_inquiry_recipient_key UNIQUE (inquiry_id, recipient),
    CONSTRAINT outbox_state_check CHECK (state IN ('pending', 'sent', 'dead', 'cancelled'))
);

-- The workers' queue: due pending rows.
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE state = 'pending';
