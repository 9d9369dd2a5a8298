"""The content domain's definitions: assets, checks, job, sensor, resource."""

import dagster as dg

from batch_platform.definitions import defs


def test_content_definitions():
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {
        "landing/landing_url_batches",
        "content/content_batches",
        "content/content_batch_rejects",
        "content/content_batch_items",
        "content/content_raw_responses",
        "content/content_pages",
        "content/content_chunks",
        "content/content_chunk_embeddings",
        "content/content_search_index",
    } <= keys
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert {
        ("content/content_batch_items", "every_url_terminal"),
        ("content/content_chunks", "no_chunk_without_page"),
        ("content/content_pages", "duplicate_ratio"),
        ("content/content_chunk_embeddings", "key_unique"),
        ("content/content_chunk_embeddings", "every_chunk_embedded"),
        ("content/content_chunk_embeddings", "no_orphan_vectors"),
        ("content/content_search_index", "every_chunk_indexed"),
        ("content/content_search_index", "no_orphan_vectors"),
    } <= checks
    job = definitions.resolve_job_def("content_batch_ingest")
    assert job.tags["dagster/max_runtime"] == "7200"
    assert {
        dg.AssetKey(["content", "content_chunk_embeddings"]),
        dg.AssetKey(["content", "content_search_index"]),
    } <= set(job.asset_layer.executable_asset_keys)
    sensor = definitions.resolve_sensor_def("url_batches_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert "content" in definitions.resources and "embeddings" in definitions.resources
