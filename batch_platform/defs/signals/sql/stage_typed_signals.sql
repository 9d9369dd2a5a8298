-- Validate and normalise the raw rows of the run's files (temp table run_files: partition_key,
-- source_file, file_order, partition_id, not_after = when a timestamp becomes implausibly late;
-- {run_partition_ids}: their ids, a literal list the lake prunes by) into the temp
-- table typed_signals: only the normalised columns, the reason a row is invalid, its event_key
-- and event_hash (event_key's first 15 hex digits as a number). Original values stay in
-- raw.signals (joined back by line for the few quarantined rows), so 10 million rows are not
-- copied whole; a row's file is its file_order (partition_key and source_file are in run_files:
-- repeated on every row they took about 80 bytes of each, 0.8 GB of the 3 GB limit at 10M).
-- Needs temp tables ref_event_types(spelling, canonical), ref_sources(source) and
-- ref_free_mail(domain), the effective reference data. An event type or source in no list is
-- kept as 'unmapped' (its original in event_type_raw / source_raw), or with
-- $quarantine_unknown_event_types / $quarantine_unknown_sources a reason to quarantine the row.
CREATE OR REPLACE TEMP TABLE typed_signals AS
WITH base AS (
    SELECT
        f.partition_id, f.file_order, f.not_after, r.source_line,
        r.occurred_at, r.source, r.event_type, r.parse_error,
        nullif(trim(r.event_id), '') AS n_event_id,
        -- The instant's UTC wall clock from its microseconds: the same as AT TIME ZONE 'UTC'
        -- without a time-zone calendar per row (0.35 s of 4M rows, 2 threads); an infinite
        -- timestamp ('infinity') is no ISO-8601 time and becomes NULL.
        make_timestamp(epoch_us(try_cast(trim(r.occurred_at) AS TIMESTAMPTZ))) AS n_occurred_at,
        lower(trim(r.source)) AS n_source,
        regexp_replace(lower(trim(r.event_type)), '[\s.\-]+', '_', 'g') AS n_spelling,
        lower(trim(r.email)) AS n_email,
        nullif(regexp_replace(lower(trim(r.account_domain)), '^www\.', ''), '') AS given_domain,
        try_cast(nullif(trim(r.properties), '') AS JSON) AS given_properties,
        nullif(trim(r.properties), '') IS NOT NULL AS has_properties
    FROM raw.signals AS r
    JOIN run_files AS f USING (partition_key)
    WHERE r.partition_id IN ({run_partition_ids})
),
-- properties: a JSON object, or a JSON string holding one (as many exports write it); JSON null
-- is no properties.
unwrapped AS (
    SELECT
        g.*,
        CASE json_type(g.given_properties)
            WHEN 'OBJECT' THEN json(g.given_properties)
            WHEN 'VARCHAR' THEN CASE
                WHEN json_type(try_cast(g.given_properties ->> '$' AS JSON)) = 'OBJECT'
                    THEN json(g.given_properties ->> '$')
            END
        END AS n_properties,
        g.has_properties AND coalesce(json_type(g.given_properties), '') <> 'NULL'
            AS properties_given
    FROM base AS g
),
typed AS (
    SELECT
        b.*,
        b.properties_given AND b.n_properties IS NULL AS bad_properties,
        CASE
            WHEN v.canonical = 'page_view'
                AND coalesce(
                    b.n_properties ->> '$.path', b.n_properties ->> '$.url', ''
                ) ILIKE '%pricing%'
                THEN 'pricing_page_view'
            WHEN v.canonical IS NOT NULL THEN v.canonical
            WHEN nullif(b.n_spelling, '') IS NOT NULL AND NOT $quarantine_unknown_event_types
                THEN 'unmapped'
        END AS canonical_type,
        CASE
            WHEN s.source IS NOT NULL THEN s.source
            WHEN nullif(b.n_source, '') IS NOT NULL AND NOT $quarantine_unknown_sources
                THEN 'unmapped'
        END AS canonical_source,
        regexp_full_match(b.n_email, '[^@\s]+@[^@\s]+\.[^@\s.]{2,}') AS email_ok,
        coalesce(
            b.given_domain,
            CASE
                WHEN split_part(b.n_email, '@', 2) NOT IN (SELECT domain FROM ref_free_mail)
                    THEN nullif(regexp_replace(split_part(b.n_email, '@', 2), '^www\.', ''), '')
            END
        ) AS n_account_domain
    FROM unwrapped AS b
    LEFT JOIN ref_event_types AS v ON v.spelling = b.n_spelling
    LEFT JOIN ref_sources AS s ON s.source = b.n_source
),
reasoned AS (
    SELECT
        t.*,
        nullif(concat_ws('; ',
            CASE WHEN t.parse_error IS NOT NULL THEN 'unparseable row: ' || t.parse_error END,
            CASE WHEN nullif(trim(t.occurred_at), '') IS NULL THEN 'missing occurred_at'
                WHEN t.n_occurred_at IS NULL THEN 'occurred_at is not an ISO-8601 timestamp'
                WHEN t.n_occurred_at > t.not_after THEN 'occurred_at is in the future'
                WHEN t.n_occurred_at < TIMESTAMP '2000-01-01' THEN 'occurred_at is before 2000'
            END,
            CASE WHEN nullif(t.n_source, '') IS NULL THEN 'missing source'
                WHEN t.canonical_source IS NULL THEN 'unknown source ' || t.source
            END,
            CASE WHEN nullif(t.n_spelling, '') IS NULL THEN 'missing event_type'
                WHEN t.canonical_type IS NULL THEN 'unknown event_type ' || t.event_type
            END,
            CASE WHEN nullif(t.n_email, '') IS NULL THEN 'missing email'
                WHEN NOT t.email_ok THEN 'implausible email'
            END,
            CASE WHEN t.bad_properties THEN 'properties is not a JSON object' END
        ), '') AS reason
    FROM typed AS t
),
keyed AS (
    SELECT
        partition_id, file_order, source_line, reason, n_event_id, n_occurred_at,
        canonical_source, source AS source_raw, canonical_type,
        event_type AS event_type_raw, n_email, n_account_domain, n_properties,
        md5(concat_ws('|',
            n_source,
            CASE WHEN n_event_id IS NOT NULL THEN 'id:' || n_event_id
                ELSE concat_ws('|', 'content', strftime(n_occurred_at, '%Y-%m-%dT%H:%M:%S.%f'),
                    CASE WHEN canonical_type = 'unmapped' THEN 'unmapped:' || n_spelling
                        ELSE canonical_type END,
                    n_email, n_account_domain, n_properties::VARCHAR)
            END
        )) AS event_key
    FROM reasoned
)
SELECT *, CAST('0x' || substr(event_key, 1, 15) AS BIGINT) AS event_hash
FROM keyed;
