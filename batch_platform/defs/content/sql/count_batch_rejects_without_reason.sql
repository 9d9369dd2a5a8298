-- Rejected lines that do not say why.
SELECT count(*) FROM content.batch_rejects
WHERE partition_key = $partition_key AND coalesce(reason, '') = ''
