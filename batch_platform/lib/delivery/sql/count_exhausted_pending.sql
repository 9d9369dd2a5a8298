-- Pending records that have failed in $exhausted_after runs or more. Parameters: $destination,
-- $exhausted_after.
SELECT count(*) FROM delivery.pending
WHERE destination = $destination AND runs_attempted >= $exhausted_after
