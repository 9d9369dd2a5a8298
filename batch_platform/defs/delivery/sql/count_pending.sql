-- The lead-score records waiting for a destination. Parameters: $destination.
SELECT count(*) FROM delivery.pending WHERE destination = $destination
