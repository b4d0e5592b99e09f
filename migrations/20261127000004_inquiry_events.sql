-- The timeline of an inquiry: received, repeats, status changes, assignments, notes,
-- notifications sent or dead, anonymisation. Append-only.
CREATE TABLE inquiry_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    inquiry_id  uuid        NOT NULL,
    kind        text        NOT NULL,
    actor       text,       -- the staff key's name; null for the visitor or the system
    data        jsonb       NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inquiry_events_pkey PRIMARY KEY (id),
    CONSTRAINT inquiry_events_inquiry_id_fkey FOREIGN KEY (inquiry_id) REFERENCES inquiries (id)
);

CREATE INDEX inquiry_events_inquiry_idx ON inquiry_events (inquiry_id, id);
