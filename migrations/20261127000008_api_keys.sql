-- Staff API keys (SPEC §4): only a SHA-256 hash of each key is stored. `prefix` is the public
-- part of the key (`idk_` + 8 hex characters), used to find the row and shown in listings.
CREATE TABLE api_keys (
    id            uuid        NOT NULL,
    name          text        NOT NULL,
    role          text        NOT NULL,
    prefix        text        NOT NULL,
    key_hash      bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    CONSTRAINT api_keys_pkey PRIMARY KEY (id),
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix),
    CONSTRAINT api_keys_role_check CHECK (role IN ('sales', 'admin')),
    CONSTRAINT api_keys_name_check CHECK (char_length(name) BETWEEN 1 AND 100)
);

-- Who read which inquiry, when: kept apart from the timeline so reads never change the ETag.
CREATE TABLE access_log (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    key_id      uuid,
    key_name    text        NOT NULL,
    action      text        NOT NULL,
    inquiry_id  uuid,
    at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT access_log_pkey PRIMARY KEY (id),
    CONSTRAINT access_log_key_id_fkey FOREIGN KEY (key_id) REFERENCES api_keys (id)
);

CREATE INDEX access_log_inquiry_idx ON access_log (inquiry_id, at);
CREATE INDEX access_log_at_idx ON access_log (at);
