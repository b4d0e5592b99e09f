-- Real visitors' input (issue 14). Attribution beyond UTM (SPEC §2): the landing URL as the
-- form sent it, the ad click IDs found in it (so that a paid click no longer makes an article of
-- its own) and the Referer; `flags` say how an inquiry was read (an `article_url` on a host that
-- is not allowed, or not a URL at all: no article linked, never an error). Anonymisation erases
-- the first three (a click ID identifies the person at the ad platform; a URL can carry a phone).
ALTER TABLE inquiries
    ADD COLUMN landing_url text,
    ADD COLUMN click_ids   jsonb  NOT NULL DEFAULT '{}',
    ADD COLUMN referrer    text,
    ADD COLUMN flags       text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT inquiries_click_ids_check CHECK (jsonb_typeof(click_ids) = 'object'),
    ADD CONSTRAINT inquiries_flags_check
        CHECK (flags <@ ARRAY['article_host_not_allowed', 'article_url_invalid']::text[]);

-- The intake call of migration 12 with the four new values at the end (an overload: the old
-- 34-argument call stays, below, for instances not yet upgraded during a rolling deploy), and
-- the article rules of SPEC §2: the title is set by the first inquiry that is not spam and names
-- one, so a later visitor (or a bot's honeypot post) can no longer rename an article in every
-- lead's email; and spam links an existing article but never creates one, so a bot cannot fill
-- the article list.
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
    p_flags text[])
RETURNS TABLE (id uuid, repeat boolean, queued bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_article uuid;
    v_title text;
    v_new_title text := CASE WHEN p_status = 'spam' THEN NULL ELSE p_title END;
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
                -- A new statement, a new snapshot: an article another transaction created
                -- after the INSERT's snapshot is seen here, or by the next attempt.
                SELECT a.id, a.title INTO v_article, v_title FROM articles AS a WHERE a.url = p_url;
            END IF;
            EXIT WHEN v_article IS NOT NULL;
        END LOOP;
        IF v_article IS NULL THEN
            RAISE EXCEPTION 'article % could be neither created nor found', p_url;
        END IF;
        -- The first inquiry that is not spam and names a title sets it; after that only staff
        -- change it (PATCH /articles/{id}).
        IF v_new_title IS NOT NULL AND v_title IS NULL THEN
            UPDATE articles SET title = v_new_title, updated_at = now()
             WHERE articles.id = v_article AND articles.title IS NULL;
        END IF;
    END IF;

    RETURN QUERY
    WITH repeated AS (
             UPDATE inquiries
                SET submission_count = submission_count + 1, version = version + 1,
                    updated_at = now()
              WHERE p_dedup_window_secs IS NOT NULL
                AND id = (SELECT id FROM inquiries
                           WHERE phone = p_phone
                             AND article_id IS NOT DISTINCT FROM v_article
                             AND status <> 'spam'
                             AND anonymised_at IS NULL
                             AND received_at > now() - make_interval(secs => p_dedup_window_secs)
                           ORDER BY received_at DESC
                           LIMIT 1)
                AND status <> 'spam'
                AND anonymised_at IS NULL
             RETURNING id),
         created AS (
             INSERT INTO inquiries (
                 id, status, need, use, tax, company, contact, phone, email, wechat, message,
                 tax_cny_per_year, area_sqm, article_id,
                 utm_source, utm_medium, utm_campaign, utm_term, utm_content,
                 client_ip, user_agent, consent, privacy_notice_version, spam_reason,
                 search_keys, landing_url, click_ids, referrer, flags)
             SELECT p_id, p_status, p_need, p_use, p_tax, p_company, p_contact, p_phone,
                    p_email, p_wechat, p_message, p_tax_cny_per_year, p_area_sqm, v_article,
                    p_utm_source, p_utm_medium, p_utm_campaign, p_utm_term, p_utm_content,
                    p_client_ip, p_user_agent, p_consent, p_privacy_notice_version,
                    p_spam_reason, p_search_keys, p_landing_url,
                    coalesce(p_click_ids, '{}'), p_referrer, coalesce(p_flags, '{}')
              WHERE NOT EXISTS (SELECT 1 FROM repeated)
             RETURNING id),
         events AS (
             INSERT INTO inquiry_events (inquiry_id, kind, data)
             SELECT id, 'repeat', p_repeat_data FROM repeated
             UNION ALL
             SELECT id, 'received', p_received_data FROM created),
         queued AS (
             INSERT INTO outbox (id, inquiry_id, recipient)
             SELECT r.id, c.id, r.recipient
               FROM created AS c, unnest(p_outbox_ids, p_recipients) AS r(id, recipient)
             ON CONFLICT ON CONSTRAINT outbox_inquiry_recipient_key DO NOTHING
             RETURNING 1)
    SELECT coalesce((SELECT id FROM repeated), (SELECT id FROM created)),
           EXISTS (SELECT 1 FROM repeated),
           (SELECT count(*) FROM queued);
END
$$;

-- Migration 12's call, for an instance of the previous version still running beside upgraded
-- ones: the same inquiry, without the new attribution. A later migration drops it.
CREATE OR REPLACE FUNCTION intake_record(
    p_lock_key text, p_new_article_id uuid, p_url text, p_host text, p_title text,
    p_id uuid, p_status text, p_need text, p_use text, p_tax text, p_company text,
    p_contact text, p_phone text, p_email text, p_wechat text, p_message text,
    p_tax_cny_per_year int8, p_area_sqm float8,
    p_utm_source text, p_utm_medium text, p_utm_campaign text, p_utm_term text,
    p_utm_content text, p_client_ip inet, p_user_agent text, p_consent boolean,
    p_privacy_notice_version text, p_spam_reason text, p_dedup_window_secs float8,
    p_repeat_data jsonb, p_received_data jsonb, p_outbox_ids uuid[], p_recipients text[],
    p_search_keys int4[])
RETURNS TABLE (id uuid, repeat boolean, queued bigint)
LANGUAGE sql AS $$
    SELECT * FROM intake_record(
        p_lock_key, p_new_article_id, p_url, p_host, p_title, p_id, p_status, p_need, p_use,
        p_tax, p_company, p_contact, p_phone, p_email, p_wechat, p_message, p_tax_cny_per_year,
        p_area_sqm, p_utm_source, p_utm_medium, p_utm_campaign, p_utm_term, p_utm_content,
        p_client_ip, p_user_agent, p_consent, p_privacy_notice_version, p_spam_reason,
        p_dedup_window_secs, p_repeat_data, p_received_data, p_outbox_ids, p_recipients,
        p_search_keys, NULL::text, '{}'::jsonb, NULL::text, '{}'::text[])
$$;
