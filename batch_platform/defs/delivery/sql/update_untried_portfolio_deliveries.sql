-- Pending records a run stopped before trying (a destination error) say why they wait.
-- Parameters: $destination, $reason.
UPDATE delivery.portfolio_deliveries
SET last_error = $reason
WHERE destination = $destination AND status = 'pending' AND last_error IS NULL
