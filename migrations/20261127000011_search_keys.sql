-- Search keys computed by the service instead of by index expressions. Each distinct pair of
-- neighbouring characters of the searched text (inquiry_search_text) is one integer key,
-- (first << 16) | second over the low 16 bits of the code points: a two-character Chinese
-- query (王总, 电子) is one key, a longer one several, and a row is a candidate when its keys
-- contain the query's; the exact LIKE rechecks it (code points beyond the BMP may share a key:
-- a false candidate, never a missed row). Integer keys compare cheaply, and the service computes
-- them (`domain::search`), so an insert no longer runs a set-returning SQL function per index;
-- the trigram index on the searched text, which served only queries of three characters or
-- more, is dropped: the keys serve every length from two. pgbench on the intake's statements
-- rose from 590-743 to 1,122-1,357 transactions/s (BENCHMARKS.md).
--
-- The GIN indexes keep their pending list (fastupdate): an insert appends its keys there in one
-- write instead of one per key, and the service merges the list every second in the background
-- (`storage::search::merge_pending`), so no insert ever pays for the merge.
--
-- The same function in SQL serves anonymisation, seeding and this backfill; a test checks that
-- it and the service agree.
CREATE FUNCTION search_keys(t text) RETURNS int4[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT ((ascii(substr(t, i, 1)) & 65535) << 16)
                                 | (ascii(substr(t, i + 1, 1)) & 65535)
                   FROM generate_series(1, char_length(t) - 1) AS i
                  ORDER BY 1);

ALTER TABLE inquiries ADD COLUMN search_keys int4[];
UPDATE inquiries SET search_keys = search_keys(inquiry_search_text(company, contact, need, use));
ALTER TABLE inquiries ALTER COLUMN search_keys SET NOT NULL;

DROP INDEX inquiries_search_bigrams_idx;
DROP INDEX inquiries_search_trgm_idx;
DROP FUNCTION text_bigrams(text);
CREATE INDEX inquiries_search_keys_idx ON inquiries USING gin (search_keys) WITH (fastupdate = on);
ALTER INDEX inquiries_phone_trgm_idx SET (fastupdate = on);
