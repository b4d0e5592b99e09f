-- Baseline schema of inquiry-desk.
--
-- The project had never been deployed when this file was written, so it describes the whole
-- schema as it is, in one migration. From here on migrations are append-only: never edit a
-- migration that has been released (sqlx checks their checksums); change the schema by adding
-- a new file with a later version.

-- Trigram matching: the phone's index, for searches by digits.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The text the staff search `q` looks in (an exact LIKE over it confirms every candidate).
-- IMMUTABLE so that it can be used in indexes.
CREATE FUNCTION inquiry_search_text(company text, contact text, need text, use text)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN lower(coalesce(company, '') || ' ' || coalesce(contact, '') || ' '
                 || coalesce(need, '') || ' ' || coalesce(use, ''));

-- The search keys of a text (inquiries.search_keys): each distinct pair of neighbouring
-- characters is one integer, (first << 16) | second over the low 16 bits of the code points,
-- so a two-character Chinese query (王总, 电子) is one key and a longer one several. Code points
-- beyond the BMP may share a key: a false candidate, never a missed row. The service computes
-- the same keys itself (`domain::search`; a test checks that both agree); this SQL twin serves
-- anonymisation, tests and benchmark seeding.
CREATE FUNCTION search_keys(t text) RETURNS int4[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT ((ascii(substr(t, i, 1)) & 65535) << 16)
                                 | (ascii(substr(t, i + 1, 1)) & 65535)
                   FROM generate_series(1, char_length(t) - 1) AS i
                  ORDER BY 1);

-- Articles: the pages inquiries come from, one row per canonical URL (SPEC §2). Created at
-- intake (never by spam); the title is set by the first inquiry that is not spam and names
-- one, after that only by staff.
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

-- Inquiries: one row per lead. Personal fields (contact, phone, email, wechat, company,
-- message, client_ip, user_agent, landing_url, click_ids, referrer) are nullable or emptied
-- because anonymisation erases them; `need` stays for statistics.
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
    submission_count        integer     NOT NULL DEFAULT 1, -- 1 + the repeats counted on it
    assignee                text,
    version                 integer     NOT NULL DEFAULT 1, -- the ETag; bumped on every write
    anonymised_at           timestamptz,
    received_at             timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    -- search_keys(inquiry_search_text(company, contact, need, use)), computed by the service
    search_keys             int4[]      NOT NULL,
    landing_url             text,       -- the landing URL as the form sent it
    click_ids               jsonb       NOT NULL DEFAULT '{}', -- ad click IDs found in it
    referrer                text,       -- the Referer header
    -- how the inquiry was read: an `article_url` on a host that is not allowed, or not a URL
    -- at all (no article linked, never an error)
    flags                   text[]      NOT NULL DEFAULT '{}',
    CONSTRAINT inquiries_pkey PRIMARY KEY (id),
    CONSTRAINT inquiries_article_id_fkey FOREIGN KEY (article_id) REFERENCES articles (id),
    CONSTRAINT inquiries_status_check
        CHECK (status IN ('new', 'contacted', 'qualified', 'won', 'lost', 'spam')),
    CONSTRAINT inquiries_submission_count_check CHECK (submission_count >= 1),
    CONSTRAINT inquiries_phone_e164_check CHECK (phone ~ '^\+[1-9][0-9]{4,14}$'),
    CONSTRAINT inquiries_click_ids_check CHECK (jsonb_typeof(click_ids) = 'object'),
    CONSTRAINT inquiries_flags_check
        CHECK (flags <@ ARRAY['article_host_not_allowed', 'article_url_invalid']::text[])
);

-- Newest first, with the id as tie-breaker for keyset pagination; by status, by article.
CREATE INDEX inquiries_received_idx ON inquiries (received_at DESC, id DESC);
CREATE INDEX inquiries_status_received_idx ON inquiries (status, received_at DESC, id DESC);
CREATE INDEX inquiries_article_received_idx ON inquiries (article_id, received_at DESC, id DESC);
-- Duplicate detection at intake and "earlier inquiries from this phone".
CREATE INDEX inquiries_phone_received_idx ON inquiries (phone, received_at DESC);
-- The assignee and minimum-tax filters of the staff list.
CREATE INDEX inquiries_assignee_idx ON inquiries (assignee, received_at DESC) WHERE assignee IS NOT NULL;
CREATE INDEX inquiries_tax_idx ON inquiries (tax_cny_per_year) WHERE tax_cny_per_year IS NOT NULL;
-- The search indexes: key containment (`search_keys @> query's keys`) finds the candidates of
-- a text search of two characters or more; the trigram index serves digit searches on the
-- phone. Both keep GIN's pending list (fastupdate): an insert appends there in one write, and
-- the service merges the list every second in the background (`storage::search`), so no
-- insert ever pays for the merge.
CREATE INDEX inquiries_search_keys_idx ON inquiries USING gin (search_keys) WITH (fastupdate = on);
CREATE INDEX inquiries_phone_trgm_idx ON inquiries USING gin (phone gin_trgm_ops) WITH (fastupdate = on);

-- The timeline of an inquiry. Append-only: only anonymisation (and the repeat payload limit of
-- intake_record) rewrites an event's data.
CREATE TABLE inquiry_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    inquiry_id  uuid        NOT NULL,
    kind        text        NOT NULL,
    actor       text,       -- the staff key's name; null for the visitor or the system
    data        jsonb       NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL DEFAULT now(),
    -- a repeat's receipt: the id its submission was answered with, by which staff open the
    -- inquiry (a new inquiry's receipt is the inquiry's own id)
    receipt_id  uuid,
    CONSTRAINT inquiry_events_pkey PRIMARY KEY (id),
    CONSTRAINT inquiry_events_inquiry_id_fkey FOREIGN KEY (inquiry_id) REFERENCES inquiries (id),
    CONSTRAINT inquiry_events_kind_check
        CHECK (kind IN ('received', 'repeat', 'status_changed', 'assigned', 'note', 'anonymised',
                        'notification_sent', 'notification_dead'))
);

-- An inquiry's timeline in order.
CREATE INDEX inquiry_events_inquiry_idx ON inquiry_events (inquiry_id, id);
-- Finding an inquiry by a repeat's receipt.
CREATE UNIQUE INDEX inquiry_events_receipt_idx ON inquiry_events (receipt_id)
    WHERE receipt_id IS NOT NULL;
-- A repeat's text digest is looked up among the inquiry's earlier repeats on every repeat.
CREATE INDEX inquiry_events_digest_idx ON inquiry_events (inquiry_id, (data ->> 'text_digest'))
    WHERE kind = 'repeat';

-- Idempotency-Key records of the intake (SPEC §2). A row without a response is a request still
-- running; a completed row replays its answer for 24 hours. Errors are never stored. Keys
-- belong to the client that sent them (`scope`), so a stranger reusing a visitor's key cannot
-- make the visitor's post fail.
CREATE TABLE idempotency_keys (
    key              text        NOT NULL,
    request_hash     bytea       NOT NULL, -- SHA-256 of content type and raw body
    inquiry_id       uuid,
    response_status  smallint,
    response_body    jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    scope            text        NOT NULL DEFAULT '', -- client's IPv4 address or IPv6 /64; '' unknown
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key),
    CONSTRAINT idempotency_keys_inquiry_id_fkey FOREIGN KEY (inquiry_id) REFERENCES inquiries (id),
    CONSTRAINT idempotency_keys_key_length_check CHECK (char_length(key) BETWEEN 1 AND 255)
);

-- Records by age (past the 24-hour replay window a record is dead).
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- The notification outbox (SPEC §3), worked by the notify workers; rows are never deleted.
-- Two kinds of message: `inquiry`, the new inquiry, one per recipient, written in the intake
-- transaction; and `supplement`, the short `补充信息` of a repeat with new details (at most one
-- per inquiry and recipient an hour). Workers claim `pending` and `waiting` rows alike;
-- `waiting` holds supplements and rows the flood guard keeps back, and the staff API shows it
-- as `pending`.
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
    kind             text        NOT NULL DEFAULT 'inquiry',
    -- a supplement's repeat event, whose details it carries (moved on while it waits); 0 for
    -- an inquiry message
    seq              bigint      NOT NULL DEFAULT 0,
    -- held back by the flood guard to the end of the clock hour, to go out folded into one
    -- summary per recipient
    flood_held       boolean     NOT NULL DEFAULT false,
    slot_at          timestamptz, -- when the row took one of its recipient's hourly slots
    CONSTRAINT outbox_pkey PRIMARY KEY (id),
    CONSTRAINT outbox_inquiry_id_fkey FOREIGN KEY (inquiry_id) REFERENCES inquiries (id),
    CONSTRAINT outbox_inquiry_recipient_key UNIQUE (inquiry_id, recipient, kind, seq),
    CONSTRAINT outbox_state_check
        CHECK (state IN ('pending', 'waiting', 'sent', 'dead', 'cancelled')),
    CONSTRAINT outbox_kind_check CHECK (kind IN ('inquiry', 'supplement'))
);

-- The workers' queue: rows of both claimable states by due time.
CREATE INDEX outbox_queue_idx ON outbox (next_attempt_at) WHERE state IN ('pending', 'waiting');
-- The flood guard counts a recipient's slots in the current hour.
CREATE INDEX outbox_recipient_slot_idx ON outbox (recipient, slot_at) WHERE slot_at IS NOT NULL;

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

-- Staff API keys (SPEC §4): only a SHA-256 hash of each key is stored. `prefix` is the public
-- part of the key (`idk_` + 8 hex characters), used to find the row and shown in listings.
CREATE TABLE api_keys (
    id            uuid        NOT NULL,
    name          text        NOT NULL,
    role          text        NOT NULL,
    prefix        text        NOT NULL,
    key_hash      bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz, -- updated at most once a minute
    revoked_at    timestamptz,
    CONSTRAINT api_keys_pkey PRIMARY KEY (id),
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix),
    CONSTRAINT api_keys_role_check CHECK (role IN ('sales', 'admin')),
    CONSTRAINT api_keys_name_check CHECK (char_length(name) BETWEEN 1 AND 100)
);

-- Who read what, when: kept apart from the timeline so that reads never change the ETag.
CREATE TABLE access_log (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    key_id      uuid,
    key_name    text        NOT NULL,
    action      text        NOT NULL,
    inquiry_id  uuid,
    at          timestamptz NOT NULL DEFAULT now(),
    -- list, search and export reads: what was asked (filters, personal values masked) and how
    -- many rows were answered
    details     jsonb,
    CONSTRAINT access_log_pkey PRIMARY KEY (id),
    CONSTRAINT access_log_key_id_fkey FOREIGN KEY (key_id) REFERENCES api_keys (id)
);

CREATE INDEX access_log_inquiry_idx ON access_log (inquiry_id, at);
CREATE INDEX access_log_at_idx ON access_log (at);

-- Secrets the service generates for itself (the form token's key, when
-- `intake.form_token_secret` is empty), kept here so that every instance and every restart use
-- the same one.
CREATE TABLE app_secrets (
    name        text        NOT NULL,
    value       bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT app_secrets_pkey PRIMARY KEY (name),
    CONSTRAINT app_secrets_value_length_check CHECK (octet_length(value) >= 32)
);

-- The intake's write path in one call (storage::intake::RECORD_SQL), so that an inquiry takes
-- one round trip to the database; called on its own, the call is its own transaction. In
-- PL/pgSQL under READ COMMITTED every statement takes a new snapshot, so the duplicate check,
-- which follows the advisory lock on phone + article, sees the row of a double click that held
-- the lock first, and an article created concurrently is found by the next attempt.
--
-- Parameters: the inquiry as one typed record (its id, status, fields, attribution, request
-- metadata and search keys; the caller builds it with jsonb_populate_record from the service's
-- own struct, so a column added to `inquiries` needs no change here), the lock key (NULL: no
-- duplicate lock), a new article id, the article's canonical URL, host and title (URL NULL: no
-- article), the duplicate window (NULL: file a new inquiry in any case), the timeline
-- payloads, the outbox ids and recipients, and the text digest. This function sets what it
-- owns: the article, the counters and the times. Spam links an existing article but never
-- creates one, and never sets a title.
--
-- A repeat (same phone and article within the window) is counted on the inquiry (SPEC §2):
-- - its event carries the submission's receipt id; its payload is kept for the first 20
--   repeats of an inquiry, later ones are counted (number and text digest only), except the
--   latest repeat with new text, whose payload is always kept (one rolling slot past the first
--   20), so that twenty repeats sent first by a stranger cannot hide the real visitor's details;
-- - a repeat whose text adds to or changes the inquiry's (a field only left out is no news), and
--   differs from every earlier repeat's (`p_text_digest`), queues a `补充信息` message to the
--   inquiry's recipients: at once when none went out in the last hour, else an hour after the
--   last one sent (or due); while one waits, a newer repeat with new text moves it on (`seq`).
-- One row: the inquiry's id, the receipt, whether it was a repeat and how many messages were
-- queued.
CREATE FUNCTION intake_record(
    p_inquiry inquiries, p_lock_key text, p_new_article_id uuid, p_url text, p_host text,
    p_title text, p_dedup_window_secs float8, p_repeat_data jsonb, p_received_data jsonb,
    p_outbox_ids uuid[], p_recipients text[], p_text_digest text)
RETURNS TABLE (id uuid, receipt uuid, repeat boolean, queued bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_row inquiries := p_inquiry;
    v_id uuid := p_inquiry.id;
    v_status text := p_inquiry.status;
    v_phone text := p_inquiry.phone;
    v_article uuid;
    v_title text;
    v_new_title text := CASE WHEN p_inquiry.status = 'spam' THEN NULL ELSE p_title END;
    v_repeat_of uuid;
    v_count int;
    v_changed boolean;
    v_event bigint;
    v_last_supplement timestamptz;
    v_recipient text;
    v_queued bigint := 0;
BEGIN
    IF p_lock_key IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(p_lock_key, 0));
    END IF;
    IF p_url IS NOT NULL AND v_status = 'spam' THEN
        SELECT a.id INTO v_article FROM articles AS a WHERE a.url = p_url;
    ELSIF p_url IS NOT NULL THEN
        FOR attempt IN 1..3 LOOP
            INSERT INTO articles (id, url, host, title)
            VALUES (p_new_article_id, p_url, p_host, v_new_title)
            ON CONFLICT ON CONSTRAINT articles_url_key DO NOTHING
            RETURNING articles.id, articles.title INTO v_article, v_title;
            IF v_article IS NULL THEN
                SELECT a.id, a.title INTO v_article, v_title FROM articles AS a WHERE a.url = p_url;
            END IF;
            EXIT WHEN v_article IS NOT NULL;
        END LOOP;
        IF v_article IS NULL THEN
            RAISE EXCEPTION 'article % could be neither created nor found', p_url;
        END IF;
        IF v_new_title IS NOT NULL AND v_title IS NULL THEN
            UPDATE articles SET title = v_new_title, updated_at = now()
             WHERE articles.id = v_article AND articles.title IS NULL;
        END IF;
    END IF;

    IF p_dedup_window_secs IS NOT NULL THEN
        UPDATE inquiries AS i
           SET submission_count = submission_count + 1, version = version + 1,
               updated_at = now()
         WHERE i.id = (SELECT d.id FROM inquiries AS d
                        WHERE d.phone = v_phone
                          AND d.article_id IS NOT DISTINCT FROM v_article
                          AND d.status <> 'spam'
                          AND d.anonymised_at IS NULL
                          AND d.received_at > now() - make_interval(secs => p_dedup_window_secs)
                        ORDER BY d.received_at DESC
                        LIMIT 1)
           AND i.status <> 'spam'
           AND i.anonymised_at IS NULL
        -- New details: a field written that the inquiry lacks or has otherwise. A field left
        -- out this time is no news (the visitor skipped it), so it sends nothing.
        RETURNING i.id, i.submission_count,
                  v_row.need IS DISTINCT FROM i.need
                  OR (v_row.use IS NOT NULL AND v_row.use IS DISTINCT FROM i.use)
                  OR (v_row.tax IS NOT NULL AND v_row.tax IS DISTINCT FROM i.tax)
                  OR (v_row.company IS NOT NULL AND v_row.company IS DISTINCT FROM i.company)
                  OR (v_row.contact IS NOT NULL AND v_row.contact IS DISTINCT FROM i.contact)
                  OR (v_row.email IS NOT NULL AND v_row.email IS DISTINCT FROM i.email)
                  OR (v_row.wechat IS NOT NULL AND v_row.wechat IS DISTINCT FROM i.wechat)
                  OR (v_row.message IS NOT NULL AND v_row.message IS DISTINCT FROM i.message)
          INTO v_repeat_of, v_count, v_changed;
    END IF;

    IF v_repeat_of IS NOT NULL THEN
        v_changed := v_changed AND NOT EXISTS (
            SELECT 1 FROM inquiry_events AS e
             WHERE e.inquiry_id = v_repeat_of AND e.kind = 'repeat'
               AND e.data ->> 'text_digest' = p_text_digest);
        IF v_changed AND v_count - 1 > 20 THEN
            -- The rolling slot: the previous late repeat with new text gives its payload up.
            UPDATE inquiry_events AS e
               SET data = jsonb_build_object('number', e.data -> 'number',
                                             'text_digest', e.data -> 'text_digest',
                                             'payload_kept', false)
             WHERE e.inquiry_id = v_repeat_of AND e.kind = 'repeat'
               AND (e.data ->> 'number')::int > 20 AND (e.data ->> 'payload_kept')::boolean;
        END IF;
        INSERT INTO inquiry_events (inquiry_id, kind, data, receipt_id)
        VALUES (v_repeat_of, 'repeat',
                CASE WHEN v_count - 1 <= 20 OR v_changed
                     THEN coalesce(p_repeat_data, '{}') ELSE '{}' END
                || jsonb_build_object('number', v_count - 1, 'text_digest', p_text_digest,
                                      'payload_kept', v_count - 1 <= 20 OR v_changed),
                v_id)
        RETURNING inquiry_events.id INTO v_event;
        IF v_changed THEN
            -- Per recipient of the inquiry: the newest supplement still waiting takes these
            -- details instead (not one a worker is sending now: it would go out with the older
            -- ones); without one, a supplement is queued, an hour after the last one sent.
            FOR v_recipient IN
                SELECT DISTINCT o.recipient FROM outbox AS o
                 WHERE o.inquiry_id = v_repeat_of AND o.kind = 'inquiry'
            LOOP
                UPDATE outbox AS o SET seq = v_event, updated_at = now()
                 WHERE o.id = (SELECT w.id FROM outbox AS w
                                WHERE w.inquiry_id = v_repeat_of AND w.recipient = v_recipient
                                  AND w.kind = 'supplement' AND w.state IN ('pending', 'waiting')
                                  AND (w.locked_until IS NULL OR w.locked_until <= now())
                                ORDER BY w.created_at DESC
                                LIMIT 1);
                IF NOT FOUND THEN
                    SELECT max(coalesce(o.sent_at, o.next_attempt_at)) INTO v_last_supplement
                      FROM outbox AS o
                     WHERE o.inquiry_id = v_repeat_of AND o.recipient = v_recipient
                       AND o.kind = 'supplement';
                    INSERT INTO outbox (id, inquiry_id, recipient, kind, seq, state,
                                        next_attempt_at)
                    VALUES (gen_random_uuid(), v_repeat_of, v_recipient, 'supplement', v_event,
                            'waiting',
                            greatest(now(), coalesce(v_last_supplement + interval '1 hour', now())));
                    v_queued := v_queued + 1;
                END IF;
            END LOOP;
        END IF;
        RETURN QUERY SELECT v_repeat_of, v_id, true, v_queued;
        RETURN;
    END IF;

    -- A new inquiry: one statement (inquiry, timeline event, outbox rows). The record's own
    -- columns as given; the article, the counters and the times are this function's.
    v_row.article_id := v_article;
    v_row.submission_count := 1;
    v_row.version := 1;
    v_row.assignee := NULL;
    v_row.anonymised_at := NULL;
    v_row.received_at := now();
    v_row.updated_at := now();
    v_row.click_ids := coalesce(v_row.click_ids, '{}');
    v_row.flags := coalesce(v_row.flags, '{}');
    WITH created AS (
             INSERT INTO inquiries SELECT (v_row).*
             RETURNING inquiries.id),
         received AS (
             INSERT INTO inquiry_events (inquiry_id, kind, data)
             SELECT c.id, 'received',
                    coalesce(p_received_data, '{}') || jsonb_build_object('text_digest', p_text_digest)
               FROM created AS c),
         queued AS (
             INSERT INTO outbox (id, inquiry_id, recipient)
             SELECT r.id, c.id, r.recipient
               FROM created AS c, unnest(p_outbox_ids, p_recipients) AS r(id, recipient)
             ON CONFLICT ON CONSTRAINT outbox_inquiry_recipient_key DO NOTHING
             RETURNING 1)
    SELECT count(*) INTO v_queued FROM queued;
    RETURN QUERY SELECT v_id, v_id, false, v_queued;
END
$$;
