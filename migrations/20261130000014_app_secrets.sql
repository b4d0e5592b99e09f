-- Secrets the service generates for itself, kept in the database so that every instance and
-- every restart use the same one (SPEC §2): with `intake.form_token_secret` empty, the form
-- token's key is generated once here. Before, each process drew its own, so a token fetched
-- before a deploy (or from another instance) failed verification and filed the visitor's lead
-- as spam behind a normal answer.
CREATE TABLE app_secrets (
    name        text        NOT NULL,
    value       bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT app_secrets_pkey PRIMARY KEY (name),
    CONSTRAINT app_secrets_value_length_check CHECK (octet_length(value) >= 32)
);
