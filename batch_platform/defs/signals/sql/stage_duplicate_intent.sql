-- The valid rows of typed_intent that repeat a score already kept for the same account, topic
-- and date, and the row they repeat. First seen wins: a row already in clean.intent_signals from
-- a file outside this run, else the first in landing order (file_order, then source_line).
CREATE OR REPLACE TEMP TABLE duplicate_intent AS
WITH valid AS (
    SELECT
        partition_key, source_file, file_order, source_line, n_account_domain, n_topic, n_date
    FROM typed_intent
    WHERE reason IS NULL
),
ranked AS (
    SELECT
        *,
        first_value(source_file) OVER w AS first_file,
        first_value(source_line) OVER w AS first_line,
        row_number() OVER w AS position
    FROM valid
    WINDOW w AS (
        PARTITION BY n_account_domain, n_topic, n_date ORDER BY file_order, source_line
    )
),
kept_elsewhere AS (
    SELECT
        account_domain, topic, signal_date,
        min({'file': source_file, 'line': source_line}) AS kept
    FROM clean.intent_signals
    WHERE partition_key NOT IN (SELECT DISTINCT partition_key FROM intent_run_stage)
    GROUP BY account_domain, topic, signal_date
)
SELECT
    r.partition_key,
    r.source_file,
    r.source_line,
    coalesce(e.kept.file, r.first_file) AS duplicate_of_file,
    coalesce(e.kept.line, r.first_line) AS duplicate_of_line
FROM ranked AS r
LEFT JOIN kept_elsewhere AS e
    ON e.account_domain = r.n_account_domain AND e.topic = r.n_topic
    AND e.signal_date = r.n_date
WHERE e.account_domain IS NOT NULL OR r.position > 1;
