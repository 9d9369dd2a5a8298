-- Status changes whose statuses are not both in $statuses (the canonical set), or do not differ.
SELECT count(*)
FROM portfolio.status_changes
WHERE
    month = $month
    AND (
        previous_status = current_status
        OR NOT list_contains($statuses, previous_status)
        OR NOT list_contains($statuses, current_status)
    )
