-- Validate and normalise the raw rows of the run's files (temp table run_files: partition_key,
-- source_file, file_order, not_after = when a timestamp becomes implausibly late) into the temp
-- table typed_signals: only the normalised columns, the reason a row is invalid and its
-- event_key. Original values stay in raw.signals (joined back by line for the few quarantined
-- rows), so 10 million rows are not copied whole.
-- Needs temp tables ref_event_types(spelling, canonical) and ref_free_mail(domain).
CREATE OR REPLACE TEMP TABLE typed_signals AS
WITH base AS (
    SELECT
        r.partition_key, r.source_file, f.file_order, f.not_after, r.source_line,
        r.occurred_at, r.source, r.event_type, r.parse_error,
        nullif(trim(r.event_id), '') AS n_event_id,
        try_cast(trim(r.occurred_at) AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS n_occurred_at,
        lower(trim(r.source)) AS n_source,
        regexp_replace(lower(trim(r.event_type)), '[\s.\-]+', '_', 'g') AS n_spelling,
        lower(trim(r.email)) AS n_email,
        nullif(regexp_replace(lower(trim(r.account_domain)), '^www\.', ''), '') AS given_domain,
        CASE
            WHEN r.properties IS NULL OR trim(r.properties) = '' THEN NULL
            WHEN json_valid(r.properties) AND starts_with(ltrim(r.properties), '{')
                THEN json(try_cast(r.properties AS JSON))
        END AS n_properties,
        r.properties IS NOT NULL AND trim(r.properties) <> ''
            AND NOT (json_valid(r.properties) AND starts_with(ltrim(r.properties), '{'))
            AS bad_properties
    FROM raw.signals AS r
    JOIN run_files AS f USING (partition_key)
),
typed AS (
    SELECT
        b.*,
        CASE
            WHEN v.canonical = 'page_view'
                AND coalesce(
                    b.n_properties ->> '$.path', b.n_properties ->> '$.url', ''
                ) ILIKE '%pricing%'
                THEN 'pricing_page_view'
            ELSE v.canonical
        END AS canonical_type,
        regexp_full_match(b.n_email, '[^@\s]+@[^@\s]+\.[^@\s.]{2,}') AS email_ok,
        coalesce(
            b.given_domain,
            CASE
                WHEN split_part(b.n_email, '@', 2) NOT IN (SELECT domain FROM ref_free_mail)
                    THEN nullif(regexp_replace(split_part(b.n_email, '@', 2), '^www\.', ''), '')
            END
        ) AS n_account_domain
    FROM base AS b
    LEFT JOIN ref_event_types AS v ON v.spelling = b.n_spelling
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
                WHEN t.n_source NOT IN ('website', 'product', 'email', 'crm')
                    THEN 'unknown source ' || t.source
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
)
SELECT
    partition_key, source_file, file_order, source_line, reason, n_event_id, n_occurred_at, n_source, canonical_type,
    event_type AS original_event_type, n_email, n_account_domain, n_properties,
    md5(concat_ws('|',
        n_source,
        CASE WHEN n_event_id IS NOT NULL THEN 'id:' || n_event_id
            ELSE concat_ws('|', 'content', strftime(n_occurred_at, '%Y-%m-%dT%H:%M:%S.%f'),
                canonical_type, n_email, n_account_domain, n_properties::VARCHAR)
        END
    )) AS event_key
FROM reasoned;
