"""Content ingestion, without Dagster: URL lists, fetching, text extraction, chunking, de-dup."""
