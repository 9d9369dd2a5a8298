-- The month's portfolio records, from the staged table portfolio_record_stage.
-- Parameters: $now, $run_id.
SELECT
    month, record_id, client, kind, registration_id, version, record::JSON AS record,
    $now::TIMESTAMP AS built_at, $run_id AS run_id
FROM portfolio_record_stage
