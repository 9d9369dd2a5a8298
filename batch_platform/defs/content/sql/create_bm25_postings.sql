-- Written into the search index file after DuckDB's full-text index: each term's chunks with
-- the term's BM25 weight there (k1 = 1.2, b = 0.75, as fts match_bm25 scores them, with an
-- occurrence in the page title (fieldid 0) counting $title_weight times, since each chunk
-- carries its page's title). The weight does not depend on the query, so a query's score for a
-- chunk is the sum of its terms' weights: one join, instead of counting terms at every search.
CREATE TABLE bm25_postings AS
WITH term_counts AS (
    SELECT termid, docid, sum(CASE WHEN fieldid = 0 THEN $title_weight ELSE 1 END) AS tf
    FROM fts_main_chunks.terms
    GROUP BY termid, docid
)
SELECT
    t.termid,
    docs.name AS id,
    (
        log((stats.num_docs - dict.df + 0.5) / (dict.df + 0.5) + 1)
        * t.tf * 2.2 / (t.tf + 1.2 * (0.25 + 0.75 * docs.len / stats.avgdl))
    )::FLOAT AS weight
FROM term_counts AS t
JOIN fts_main_chunks.dict AS dict USING (termid)
JOIN fts_main_chunks.docs AS docs USING (docid)
CROSS JOIN fts_main_chunks.stats AS stats
ORDER BY t.termid, id
