-- Mismatches naming no differing field, or a field other than owner, status, next_renewal_date.
SELECT count(*)
FROM portfolio.mismatches
WHERE
    month = $month
    AND (
        len(differing_fields) = 0
        OR NOT list_has_all(['owner', 'status', 'next_renewal_date'], differing_fields)
    )
