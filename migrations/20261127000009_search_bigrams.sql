-- Search that works for two-character Chinese queries (王总, 电子, 仓储). pg_trgm cannot use its
-- index below three characters, and Debian has no pg_bigm: index the distinct two-character
-- substrings of the searched text and look up a query's bigrams by containment, with an exact
-- LIKE as recheck. A trigram index on the phone serves digit searches.
CREATE FUNCTION text_bigrams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT substr(t, i, 2) FROM generate_series(1, char_length(t) - 1) AS i);

CREATE INDEX inquiries_search_bigrams_idx ON inquiries
    USING gin (text_bigrams(inquiry_search_text(company, contact, need, use)));

CREATE INDEX inquiries_phone_trgm_idx ON inquiries USING gin (phone gin_trgm_ops);
