-- Content ingestion batches: URL lists → fetched responses → pages → chunks.
CREATE SCHEMA IF NOT EXISTS content;

-- One row per submitted URL list (key: partition_key). registered_at is kept across re-runs:
-- it orders batches for cross-batch de-duplication (the earlier batch keeps the original).
CREATE TABLE IF NOT EXISTS content.batches (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    total_urls BIGINT NOT NULL,
    rejected_lines BIGINT NOT NULL
);

-- Lines of a URL list that are not fetched: invalid URLs and duplicates (key: partition_key,
-- line_number).
CREATE TABLE IF NOT EXISTS content.batch_rejects (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    line_number BIGINT NOT NULL,
    value VARCHAR,
    reason VARCHAR NOT NULL
);

-- One row per URL per batch (key: partition_key, url). state: queued, succeeded, failed,
-- skipped (robots.txt, unsupported content) or canceled; never "running" on disk.
CREATE TABLE IF NOT EXISTS content.batch_items (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    line_number BIGINT NOT NULL,
    url VARCHAR NOT NULL,
    metadata JSON,
    state VARCHAR NOT NULL,
    attempts BIGINT NOT NULL,
    http_status INTEGER,
    error VARCHAR,
    final_url VARCHAR,
    content_type VARCHAR,
    bytes BIGINT,
    from_cache BOOLEAN NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    fetch_seconds DOUBLE,
    run_id VARCHAR
);

-- Staging: the raw body of every successful fetch, so cleaning re-runs without refetching
-- (key: partition_key, url).
CREATE TABLE IF NOT EXISTS content.raw_responses (
    partition_key VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    final_url VARCHAR,
    http_status INTEGER NOT NULL,
    content_type VARCHAR,
    content_language VARCHAR,
    body BLOB NOT NULL,
    fetched_at TIMESTAMP NOT NULL
);

-- Clean text per fetched page (key: partition_key, url). dup_status: unique, exact_duplicate
-- or near_duplicate (then duplicate_of_* name the page it repeats).
CREATE TABLE IF NOT EXISTS content.pages (
    partition_key VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    final_url VARCHAR,
    line_number BIGINT NOT NULL,
    kind VARCHAR NOT NULL,
    title VARCHAR,
    language VARCHAR,
    text VARCHAR NOT NULL,
    characters BIGINT NOT NULL,
    content_hash VARCHAR NOT NULL,
    simhash UBIGINT NOT NULL,
    dup_status VARCHAR NOT NULL,
    duplicate_of_batch VARCHAR,
    duplicate_of_url VARCHAR,
    simhash_distance INTEGER,
    metadata JSON,
    cleaned_at TIMESTAMP NOT NULL
);

-- Chunks of unique and near-duplicate pages (key: partition_key, url, chunk_index);
-- char_start/char_end are offsets into content.pages.text.
CREATE TABLE IF NOT EXISTS content.chunks (
    partition_key VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    chunk_index INTEGER NOT NULL,
    char_start BIGINT NOT NULL,
    char_end BIGINT NOT NULL,
    text VARCHAR NOT NULL,
    chunk_hash VARCHAR NOT NULL
);

-- A vector for every chunk of a batch (key: partition_key, url, chunk_index). Vectors are
-- reused by (chunk_hash, model) across batches and re-runs, so unchanged text is embedded once
-- per model; model is the embedder's version, and a new model re-embeds on the next run.
CREATE TABLE IF NOT EXISTS content.chunk_embeddings (
    partition_key VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    chunk_index INTEGER NOT NULL,
    chunk_hash VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    dimensions INTEGER NOT NULL,
    embedding FLOAT[] NOT NULL,
    reused BOOLEAN NOT NULL,
    embedded_at TIMESTAMP NOT NULL
);
