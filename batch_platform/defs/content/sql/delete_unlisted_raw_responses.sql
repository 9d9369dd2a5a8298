-- Staged responses of URLs no longer in the (re-landed) list.
DELETE FROM content.raw_responses
WHERE partition_key = $partition_key AND url NOT IN (SELECT url FROM listed)
