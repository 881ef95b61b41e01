-- Project search that forgives diacritics and case: "ha long" finds "Hạ Long", "dong trieu" finds
-- "Đông Triều". NFD splits each letter from its combining marks (U+0300–U+036F covers every
-- Vietnamese tone and vowel mark); đ/Đ is a letter of its own and is mapped by hand. IMMUTABLE so
-- it can compute a stored column and the query's pattern alike (one definition, no drift).
CREATE FUNCTION search_normalise(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT lower(translate(regexp_replace(normalize(t, NFD), '[\u0300-\u036f]', '', 'g'), 'đĐ', 'dd'))
$$;
--> statement-breakpoint
-- Trigram index support for substring search (contrib; shipped with Postgres and its images).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
