-- Items whose URL is no longer in the (re-landed) list.
DELETE FROM content.batch_items
WHERE partition_key = $partition_key AND url NOT IN (SELECT url FROM listed)
