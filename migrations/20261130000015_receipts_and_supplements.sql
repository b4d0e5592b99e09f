-- The public surface under attack (issue 15; SPEC §2, §3).
--
-- Receipts: every accepted submission is answered `201` with an id of its own, so the answer no
-- longer tells a stranger whether a phone inquired before. A new inquiry's receipt is its id; a
-- repeat's is the `receipt_id` of its timeline event, by which staff open the inquiry.
ALTER TABLE inquiry_events ADD COLUMN receipt_id uuid;
CREATE UNIQUE INDEX inquiry_events_receipt_idx ON inquiry_events (receipt_id)
    WHERE receipt_id IS NOT NULL;

-- Idempotency keys belong to the client that sent them (its IPv4 address or IPv6 /64, as text;
-- '' when none is known): a stranger reusing a visitor's key cannot make the visitor's post fail.
ALTER TABLE idempotency_keys ADD COLUMN scope text NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key);

-- Outbox messages of two kinds: the new inquiry (one per recipient, as before) and the short
-- `补充信息` of a repeat with new details (at most one per inquiry and hour; `seq` is the repeat
-- event whose details it carries, moved on while it waits). The flood guard holds rows back to
-- the end of the clock hour (`flood_held`), to go out folded into one summary per recipient;
-- `slot_at` is when a row took one of its recipient's `notify.max_per_hour` slots.
--
-- Rolling deploys: an instance of the previous version may run beside this one for a while.
-- Its rows are written as before (kind 'inquiry', seq 0: the unique constraint keeps its name).
-- Its worker claims only `state = 'pending'`, so rows that only this version knows how to send
-- — supplements, and rows held for a summary — wait in the new state `waiting`, which the staff
-- API shows as `pending`.
ALTER TABLE outbox
    ADD COLUMN kind       text        NOT NULL DEFAULT 'inquiry',
    ADD COLUMN seq        bigint      NOT NULL DEFAULT 0,
    ADD COLUMN flood_held boolean     NOT NULL DEFAULT false,
    ADD COLUMN slot_at    timestamptz,
    ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('inquiry', 'supplement'));
ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check
    CHECK (state IN ('pending', 'waiting', 'sent', 'dead', 'cancelled'));
ALTER TABLE outbox DROP CONSTRAINT outbox_inquiry_recipient_key;
ALTER TABLE outbox ADD CONSTRAINT outbox_inquiry_recipient_key
    UNIQUE (inquiry_id, recipient, kind, seq);
-- The workers' queue, both states (a `state = 'pending'` claim of the previous version uses it
-- too); the flood guard counts a recipient's slots in the current hour.
CREATE INDEX outbox_queue_idx ON outbox (next_attempt_at) WHERE state IN ('pending', 'waiting');
DROP INDEX outbox_due_idx;
CREATE INDEX outbox_recipient_slot_idx ON outbox (recipient, slot_at) WHERE slot_at IS NOT NULL;

-- A repeat's text digest is looked up among the inquiry's earlier repeats on every repeat.
CREATE INDEX inquiry_events_digest_idx ON inquiry_events (inquiry_id, (data ->> 'text_digest'))
    WHERE kind = 'repeat';

-- Access-log entries of list, search and export reads say what was asked (filters, masked) and
-- how many rows were answered.
ALTER TABLE access_log ADD COLUMN details jsonb;

-- The intake call of migration 13 with the repeat rules of SPEC §2:
-- - a repeat's event carries the submission's receipt id; its payload is kept for the first 20
--   repeats of an inquiry, later ones are counted (their number and text digest only), so that
--   a flood of repeats cannot grow one lead's timeline by its bodies — except the latest repeat
--   with new text, whose payload is always kept (one rolling slot past the first 20), so that
--   twenty repeats sent first by a stranger cannot hide the real visitor's details;
-- - a repeat whose text adds to or changes the inquiry's (a field only left out is no news), and
--   differs from every earlier repeat's (`p_text_digest`), queues a `补充信息` message to the inquiry's recipients: at once when none
--   went out in the last hour, else an hour after the last one sent (or due); while one waits,
--   a newer repeat with new text moves it on (`seq`), so it carries the latest details.
-- Returns the inquiry's id, the receipt, whether it was a repeat and how many messages were
-- queued.
CREATE FUNCTION intake_record(
    p_lock_key text, p_new_article_id uuid, p_url text, p_host text, p_title text,
    p_id uuid, p_status text, p_need text, p_use text, p_tax text, p_company text,
    p_contact text, p_phone text, p_email text, p_wechat text, p_message text,
    p_tax_cny_per_year int8, p_area_sqm float8,
    p_utm_source text, p_utm_medium text, p_utm_campaign text, p_utm_term text,
    p_utm_content text, p_client_ip inet, p_user_agent text, p_consent boolean,
    p_privacy_notice_version text, p_spam_reason text, p_dedup_window_secs float8,
    p_repeat_data jsonb, p_received_data jsonb, p_outbox_ids uuid[], p_recipients text[],
    p_search_keys int4[], p_landing_url text, p_click_ids jsonb, p_referrer text,
    p_flags text[], p_text_digest text)
RETURNS TABLE (id uuid, receipt uuid, repeat boolean, queued bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_article uuid;
    v_title text;
    v_new_title text := CASE WHEN p_status = 'spam' THEN NULL ELSE p_title END;
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
    IF p_url IS NOT NULL AND p_status = 'spam' THEN
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
                        WHERE d.phone = p_phone
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
                  p_need IS DISTINCT FROM i.need
                  OR (p_use IS NOT NULL AND p_use IS DISTINCT FROM i.use)
                  OR (p_tax IS NOT NULL AND p_tax IS DISTINCT FROM i.tax)
                  OR (p_company IS NOT NULL AND p_company IS DISTINCT FROM i.company)
                  OR (p_contact IS NOT NULL AND p_contact IS DISTINCT FROM i.contact)
                  OR (p_email IS NOT NULL AND p_email IS DISTINCT FROM i.email)
                  OR (p_wechat IS NOT NULL AND p_wechat IS DISTINCT FROM i.wechat)
                  OR (p_message IS NOT NULL AND p_message IS DISTINCT FROM i.message)
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
                p_id)
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
        RETURN QUERY SELECT v_repeat_of, p_id, true, v_queued;
        RETURN;
    END IF;

    -- A new inquiry: one statement (inquiry, timeline event, outbox rows), as in migration 12.
    WITH created AS (
             INSERT INTO inquiries (
                 id, status, need, use, tax, company, contact, phone, email, wechat, message,
                 tax_cny_per_year, area_sqm, article_id,
                 utm_source, utm_medium, utm_campaign, utm_term, utm_content,
                 client_ip, user_agent, consent, privacy_notice_version, spam_reason,
                 search_keys, landing_url, click_ids, referrer, flags)
             VALUES (p_id, p_status, p_need, p_use, p_tax, p_company, p_contact, p_phone,
                     p_email, p_wechat, p_message, p_tax_cny_per_year, p_area_sqm, v_article,
                     p_utm_source, p_utm_medium, p_utm_campaign, p_utm_term, p_utm_content,
                     p_client_ip, p_user_agent, p_consent, p_privacy_notice_version,
                     p_spam_reason, p_search_keys, p_landing_url,
                     coalesce(p_click_ids, '{}'), p_referrer, coalesce(p_flags, '{}'))
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
    RETURN QUERY SELECT p_id, p_id, false, v_queued;
END
$$;

-- The calls of migrations 12 and 13, for an instance of a previous version still running during
-- a rolling deploy: the same rules (its answer still says which submission was a repeat).
CREATE OR REPLACE FUNCTION intake_record(
    p_lock_key text, p_new_article_id uuid, p_url text, p_host text, p_title text,
    p_id uuid, p_status text, p_need text, p_use text, p_tax text, p_company text,
    p_contact text, p_phone text, p_email text, p_wechat text, p_message text,
    p_tax_cny_per_year int8, p_area_sqm float8,
    p_utm_source text, p_utm_medium text, p_utm_campaign text, p_utm_term text,
    p_utm_content text, p_client_ip inet, p_user_agent text, p_consent boolean,
    p_privacy_notice_version text, p_spam_reason text, p_dedup_window_secs float8,
    p_repeat_data jsonb, p_received_data jsonb, p_outbox_ids uuid[], p_recipients text[],
    p_search_keys int4[], p_landing_url text, p_click_ids jsonb, p_referrer text,
    p_flags text[])
RETURNS TABLE (id uuid, repeat boolean, queued bigint)
LANGUAGE sql AS $$
    SELECT r.id, r.repeat, r.queued FROM intake_record(
        p_lock_key, p_new_article_id, p_url, p_host, p_title, p_id, p_status, p_need, p_use,
        p_tax, p_company, p_contact, p_phone, p_email, p_wechat, p_message, p_tax_cny_per_year,
        p_area_sqm, p_utm_source, p_utm_medium, p_utm_campaign, p_utm_term, p_utm_content,
        p_client_ip, p_user_agent, p_consent, p_privacy_notice_version, p_spam_reason,
        p_dedup_window_secs, p_repeat_data, p_received_data, p_outbox_ids, p_recipients,
        p_search_keys, p_landing_url, p_click_ids, p_referrer, p_flags, NULL::text) AS r
$$;
