-- Fields where a successful office record disagrees with the firm's record. Owners compare
-- trimmed, case-insensitively, with runs of spaces collapsed; an office field left empty is not
-- a disagreement.
WITH pairs AS (
    SELECT
        f.registration_id,
        f.jurisdiction,
        f.client,
        f.mark,
        f.owner AS firm_owner,
        o.owner AS office_owner,
        f.status AS firm_status,
        o.status AS office_status,
        f.next_renewal_date AS firm_next_renewal_date,
        o.next_renewal_date AS office_next_renewal_date,
        list_filter([
            CASE
                WHEN
                    o.owner IS NOT NULL
                    AND lower(regexp_replace(trim(o.owner), '\s+', ' ', 'g'))
                    IS DISTINCT FROM lower(regexp_replace(trim(f.owner), '\s+', ' ', 'g'))
                    THEN 'owner'
            END,
            CASE WHEN o.status <> f.status THEN 'status' END,
            CASE
                WHEN
                    o.next_renewal_date IS NOT NULL
                    AND o.next_renewal_date IS DISTINCT FROM f.next_renewal_date
                    THEN 'next_renewal_date'
            END
        ], x -> x IS NOT NULL) AS differing_fields
    FROM portfolio.firm_records AS f
    INNER JOIN portfolio.office_snapshot AS o
        ON o.month = f.month AND o.registration_id = f.registration_id
    WHERE f.month = $month AND o.fetch_state = 'succeeded'
)

SELECT
    $month::DATE AS month,
    registration_id,
    jurisdiction,
    mark,
    differing_fields,
    firm_owner,
    office_owner,
    firm_status,
    office_status,
    firm_next_renewal_date,
    office_next_renewal_date,
    client
FROM pairs
WHERE len(differing_fields) > 0
