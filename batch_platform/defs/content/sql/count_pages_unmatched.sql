-- Succeeded items without a page, and pages without a succeeded item.
SELECT count(*)
FROM (
    SELECT url FROM content.batch_items
    WHERE partition_key = $partition_key AND state = 'succeeded'
) AS i
FULL JOIN (SELECT url FROM content.pages WHERE partition_key = $partition_key) AS p USING (url)
WHERE i.url IS NULL OR p.url IS NULL
