-- The health report's mismatches (the report adds the LIMIT).
SELECT
    registration_id,
    jurisdiction,
    differing_fields,
    firm_owner,
    office_owner,
    firm_status,
    office_status,
    firm_next_renewal_date,
    office_next_renewal_date
FROM portfolio.mismatches
WHERE month = $month
ORDER BY registration_id
