"""What every asset of the content domain shares."""

import dagster as dg

OWNERS = ["team:data-platform"]
GROUP = "content"
PARTITION = "partition_key = $partition_key"

LANDING_URL_BATCHES = dg.AssetKey(["landing", "landing_url_batches"])
BATCHES = dg.AssetKey(["content", "content_batches"])
BATCH_REJECTS = dg.AssetKey(["content", "content_batch_rejects"])
BATCH_ITEMS = dg.AssetKey(["content", "content_batch_items"])
RAW_RESPONSES = dg.AssetKey(["content", "content_raw_responses"])
PAGES = dg.AssetKey(["content", "content_pages"])
CHUNKS = dg.AssetKey(["content", "content_chunks"])


def markdown_table(headers: list[str], rows: list[tuple], limit: int = 50) -> dg.MetadataValue:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += [
        "| " + " | ".join(str(v).replace("|", "\\|")[:120] for v in row) + " |"
        for row in rows[:limit]
    ]
    if len(rows) > limit:
        lines.append(f"\n… and {len(rows) - limit} more")
    return dg.MetadataValue.md("\n".join(lines))
