-- Pending records that a newer score replaces: the contact has a new change with another key,
-- or its score of $as_of_date (a later day) is back within the threshold of what was delivered.
-- Needs the temp table delivery_changes. Parameters: $destination, $as_of_date.
DELETE FROM delivery.pending AS p
WHERE p.destination = $destination
    AND (
        EXISTS (
            SELECT 1 FROM delivery_changes AS c
            WHERE c.email = p.email AND c.idempotency_key <> p.idempotency_key
        )
        OR (
            p.as_of_date < $as_of_date::DATE
            AND p.email NOT IN (SELECT email FROM delivery_changes)
            AND p.email IN (
                SELECT email FROM scores.lead_scores WHERE as_of_date = $as_of_date::DATE
            )
        )
    )
