-- Every staged firm-record row with the reason it cannot be used (NULL when it can).
-- Among rows that are otherwise valid, the first by (source_file, source_line) keeps its id.
CREATE OR REPLACE TEMP TABLE portfolio_firm_ranked AS
WITH valid AS (
    SELECT
        source_file,
        source_line,
        row_number() OVER w AS id_rank,
        first_value(source_file) OVER w AS first_file,
        first_value(source_line) OVER w AS first_line
    FROM portfolio_firm_stage
    WHERE problems IS NULL
    WINDOW w AS (PARTITION BY registration_id ORDER BY source_file, source_line)
)
SELECT
    s.*,
    coalesce(
        s.problems,
        CASE WHEN v.id_rank > 1 THEN
            'duplicate registration_id (first at ' || v.first_file || ' line '
            || v.first_line || ')'
        END
    ) AS reason
FROM portfolio_firm_stage AS s
LEFT JOIN valid AS v USING (source_file, source_line);
