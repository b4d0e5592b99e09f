-- Trigram matching for the staff search over company, contact, need and use (SPEC §4).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
