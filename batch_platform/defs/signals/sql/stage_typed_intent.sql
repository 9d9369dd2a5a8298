-- Validate and normalise the staged rows of the run's intent files (temp table
-- intent_run_stage: partition_key, source_file, file_order, not_after and the rows as text) into
-- the temp table typed_intent, with the reason a row is invalid (NULL when valid): the account
-- domain lower-cased without scheme or www., the topic lower-cased with single spaces, the score
-- a number from 0 to 100, the date an ISO date (or timestamp, read in UTC).
CREATE OR REPLACE TEMP TABLE typed_intent AS
WITH base AS (
    SELECT
        s.*,
        nullif(
            regexp_replace(lower(trim(s.account_domain)), '^([a-z]+://)?(www\.)?|/+$', '', 'g'),
            ''
        ) AS n_account_domain,
        nullif(regexp_replace(lower(trim(s.topic)), '\s+', ' ', 'g'), '') AS n_topic,
        try_cast(trim(s.score) AS DOUBLE) AS n_score,
        coalesce(
            try_cast(trim(s.date) AS DATE),
            try_cast(try_cast(trim(s.date) AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS DATE)
        ) AS n_date
    FROM intent_run_stage AS s
)
SELECT
    *,
    nullif(concat_ws('; ',
        CASE WHEN parse_error IS NOT NULL THEN 'unparseable row: ' || parse_error END,
        CASE WHEN n_account_domain IS NULL THEN 'missing account_domain'
            WHEN NOT regexp_full_match(n_account_domain, '([a-z0-9-]+\.)+[a-z]{2,}')
                THEN 'account_domain is not a domain name'
        END,
        CASE WHEN n_topic IS NULL THEN 'missing topic' END,
        CASE WHEN nullif(trim(score), '') IS NULL THEN 'missing score'
            WHEN n_score IS NULL OR NOT isfinite(n_score) OR n_score < 0 OR n_score > 100
                THEN 'score is not a number from 0 to 100'
        END,
        CASE WHEN nullif(trim(date), '') IS NULL THEN 'missing date'
            WHEN n_date IS NULL THEN 'date is not an ISO-8601 date'
            WHEN n_date > not_after THEN 'date is in the future'
            WHEN n_date < DATE '2000-01-01' THEN 'date is before 2000'
        END
    ), '') AS reason
FROM base;
