-- Articles: the pages inquiries come from, one row per canonical URL (SPEC §2).
CREATE TABLE articles (
    id          uuid        NOT NULL,
    url         text        NOT NULL,
    host        text        NOT NULL,
    title       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT articles_pkey PRIMARY KEY (id),
    CONSTRAINT articles_url_key UNIQUE (url),
    CONSTRAINT articles_url_length_check CHECK (char_length(url) <= 2048)
);
