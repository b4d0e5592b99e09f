-- Every delivery attempt of an outbox row and its outcome (SPEC §3: every attempt is recorded).
CREATE TABLE outbox_attempts (
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    outbox_id    uuid        NOT NULL,
    attempt      integer     NOT NULL,
    outcome      text        NOT NULL,
    error        text,
    at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT outbox_attempts_pkey PRIMARY KEY (id),
    CONSTRAINT outbox_attempts_outbox_id_fkey FOREIGN KEY (outbox_id) REFERENCES outbox (id),
    CONSTRAINT outbox_attempts_outcome_check CHECK (outcome IN ('sent', 'transient', 'permanent'))
);

CREATE INDEX outbox_attempts_outbox_idx ON outbox_attempts (outbox_id, id);
