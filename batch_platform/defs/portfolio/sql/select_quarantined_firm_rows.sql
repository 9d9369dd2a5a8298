SELECT
    $month::DATE AS month,
    source_file,
    source_line,
    registration_id,
    jurisdiction,
    mark,
    owner,
    status,
    filing_date,
    registration_date,
    next_renewal_date,
    classes,
    reason,
    client
FROM portfolio_firm_ranked
WHERE reason IS NOT NULL
