-- Inquiries: one row per lead. Personal fields (contact, phone, email, wechat, company,
-- message, client_ip, user_agent) are nullable because anonymisation erases them; `need` stays
-- for statistics.
CREATE TABLE inquiries (
    id                      uuid        NOT NULL,
    status                  text        NOT NULL DEFAULT 'new',
    need                    text        NOT NULL,
    use                     text,
    tax                     text,
    company                 text,
    contact                 text,
    phone                   text,       -- E.164, e.g. +8613912345678
    email                   text,
    wechat                  text,
    message                 text,
    tax_cny_per_year        bigint,     -- derived from `tax` at intake
    area_sqm                double precision, -- derived from `need` at intake
    article_id              uuid,
    utm_source              text,
    utm_medium              text,
    utm_campaign            text,
    utm_term                text,
    utm_content             text,
    client_ip               inet,
    user_agent              text,
    consent                 boolean,
    privacy_notice_version  text,
    spam_reason             text,       -- why an inquiry was filed as spam at intake
    submission_count        integer     NOT NULL DEFAULT 1,
    assignee                text,
    version                 integer     NOT NULL DEFAULT 1, -- the ETag; bumped on every write
    anonymised_at           timestamptz,
    received_at             timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inquiries_pkey PRIMARY KEY (id),
    CONSTRAINT inquiries_article_id_fkey FOREIGN KEY (article_id) REFERENCES articles (id),
    CONSTRAINT inquiries_status_check
        CHECK (status IN ('new', 'contacted', 'qualified', 'won', 'lost', 'spam')),
    CONSTRAINT inquiries_submission_count_check CHECK (submission_count >= 1),
    CONSTRAINT inquiries_phone_e164_check CHECK (phone ~ '^\+[1-9][0-9]{4,14}$')
);

-- Newest first, with the id as tie-breaker for keyset pagination.
CREATE INDEX inquiries_received_idx ON inquiries (received_at DESC, id DESC);
CREATE INDEX inquiries_status_received_idx ON inquiries (status, received_at DESC, id DESC);
CREATE INDEX inquiries_article_received_idx ON inquiries (article_id, received_at DESC, id DESC);
-- Duplicate detection at intake and "earlier inquiries from this phone".
CREATE INDEX inquiries_phone_received_idx ON inquiries (phone, received_at DESC);
CREATE INDEX inquiries_assignee_idx ON inquiries (assignee, received_at DESC) WHERE assignee IS NOT NULL;
CREATE INDEX inquiries_tax_idx ON inquiries (tax_cny_per_year) WHERE tax_cny_per_year IS NOT NULL;

-- The text the staff search `q` looks in. IMMUTABLE so that it can be indexed.
CREATE FUNCTION inquiry_search_text(company text, contact text, need text, use text)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN lower(coalesce(company, '') || ' ' || coalesce(contact, '') || ' '
                 || coalesce(need, '') || ' ' || coalesce(use, ''));

CREATE INDEX inquiries_search_trgm_idx ON inquiries
    USING gin (inquiry_search_text(company, contact, need, use) gin_trgm_ops);
