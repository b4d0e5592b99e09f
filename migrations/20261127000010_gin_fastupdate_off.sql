-- The search indexes without GIN's pending list. With fastupdate on, inserts append to a pending
-- list that the inserting backend merges into the index whenever it outgrows
-- gin_pending_list_limit (4 MB: every few seconds under load), stalling that request for tens of
-- milliseconds: the intake's p99 at 1,000 requests/s was 27 ms with it and 9 ms without
-- (BENCHMARKS.md). Each insert now updates the indexes directly, a small steady cost instead.
ALTER INDEX inquiries_search_trgm_idx SET (fastupdate = off);
ALTER INDEX inquiries_search_bigrams_idx SET (fastupdate = off);
ALTER INDEX inquiries_phone_trgm_idx SET (fastupdate = off);
