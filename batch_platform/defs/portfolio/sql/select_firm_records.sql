-- The valid staged firm rows; a row without a client (no column, or an empty cell) belongs to
-- $no_client. Parameters: $month, $no_client.
SELECT
    $month::DATE AS month,
    registration_id,
    n_jurisdiction AS jurisdiction,
    mark,
    owner,
    n_status AS status,
    n_filing_date AS filing_date,
    n_registration_date AS registration_date,
    n_next_renewal_date AS next_renewal_date,
    n_classes AS classes,
    source_file,
    source_line,
    coalesce(client, $no_client) AS client
FROM portfolio_firm_ranked
WHERE reason IS NULL
