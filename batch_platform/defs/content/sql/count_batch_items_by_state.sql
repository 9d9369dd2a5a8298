-- How many items of the batch are in each state.
SELECT state, count(*) AS items
FROM content.batch_items
WHERE partition_key = $partition_key
GROUP BY state
