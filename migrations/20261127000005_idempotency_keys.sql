-- Idempotency-Key records of the intake (SPEC §2). A row without a response is a request still
-- running; a completed row replays its answer for 24 hours. Errors are never stored.
CREATE TABLE idempotency_keys (
    key              text        NOT NULL,
    request_hash     bytea       NOT NULL, -- SHA-256 of content type and raw body
    inquiry_id       uuid,
    response_status  smallint,
    response_body    jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (key),
    CONSTRAINT idempotency_keys_inquiry_id_fkey FOREIGN KEY (inquiry_id) REFERENCES inquiries (id),
    CONSTRAINT idempotency_keys_key_length_check CHECK (char_length(key) BETWEEN 1 AND 255)
);

CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
