-- Each destination's outbox records of one day and the file they went to. Parameter: day.
SELECT destination, count(*) AS records, min(file) AS file
FROM delivery.outbox
WHERE as_of_date = $day
GROUP BY destination
ORDER BY destination
