-- The month's firm registrations per office: (jurisdiction, registration_id, mark), by office
-- and id, for the report's list of registrations swept with assumed formats.
SELECT jurisdiction, registration_id, mark
FROM portfolio.firm_records
WHERE month = $month AND list_contains($jurisdictions, jurisdiction)
ORDER BY jurisdiction, registration_id
