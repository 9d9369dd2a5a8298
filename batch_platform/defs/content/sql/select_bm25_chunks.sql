-- Read from the search index file, not the lake: for each query of search_queries (qid, query),
-- registered by the caller, the chunks that match it best by BM25: the sum of the weights of
-- the query's terms in each chunk, from bm25_postings. A query's words go through what the
-- index did to the text: tokenized, stop words dropped, then stemmed. (DuckDB's match_bm25
-- stems without dropping stop words, so a stop word could match the stem of a rare word:
-- "in" the stem of "ins", "and" of "ands", with the weight of a rare term.)
WITH tokens AS (
    SELECT DISTINCT qid, stem(word, 'porter') AS term
    FROM (SELECT qid, unnest(fts_main_chunks.tokenize(query)) AS word FROM search_queries)
    WHERE word NOT IN (SELECT sw FROM fts_main_chunks.stopwords)
),
query_terms AS (
    SELECT tokens.qid, dict.termid FROM fts_main_chunks.dict AS dict JOIN tokens USING (term)
),
scored AS (
    SELECT q.qid, p.id, sum(p.weight) AS score
    FROM query_terms AS q
    JOIN bm25_postings AS p USING (termid)
    GROUP BY q.qid, p.id
)
SELECT s.qid, s.id, s.score
FROM scored AS s
JOIN chunks AS c ON c.id = s.id
WHERE $batch IS NULL OR c.partition_key = $batch
QUALIFY row_number() OVER (PARTITION BY s.qid ORDER BY s.score DESC, s.id) <= $limit
ORDER BY s.qid, s.score DESC, s.id
