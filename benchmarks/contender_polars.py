"""The alternative a user would pick: the same steps as a plain Polars script."""

import json
import sys
from pathlib import Path

import polars as pl

from batch_platform.defs.signals.logic.event_vocabulary import event_type_rows
from batch_platform.defs.signals.logic.lead_score_weights import DEFAULT_WEIGHTS

AS_OF_END = pl.datetime(2026, 2, 1, 5)


def main(data_dir: str) -> dict:
    files = sorted(Path(data_dir).glob("*.csv"))
    vocabulary = pl.LazyFrame(event_type_rows(), schema=["spelling", "canonical"], orient="row")
    weights = pl.LazyFrame(
        {"event_type": list(DEFAULT_WEIGHTS), "points": list(DEFAULT_WEIGHTS.values())}
    )
    frames = [
        pl.scan_csv(f, infer_schema=False).with_columns(pl.lit(i).alias("file_index"))
        for i, f in enumerate(files)
    ]
    typed = (
        pl.concat(frames)
        .with_row_index("line")
        .with_columns(
            pl.col("occurred_at")
            .str.strip_chars()
            .str.to_datetime(time_zone="UTC", strict=False)
            .dt.replace_time_zone(None)
            .alias("ts"),
            pl.col("source").str.strip_chars().str.to_lowercase(),
            pl.col("email").str.strip_chars().str.to_lowercase(),
            pl.col("event_type")
            .str.strip_chars()
            .str.to_lowercase()
            .str.replace_all(r"[\s.\-]+", "_")
            .alias("spelling"),
        )
        .join(vocabulary, on="spelling", how="left")
    )
    clean = (
        typed.filter(
            pl.col("ts").is_not_null()
            & pl.col("source").is_in(["website", "product", "email", "crm"])
            & pl.col("canonical").is_not_null()
            & pl.col("email").str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
        )
        .sort(["file_index", "line"])
        .unique(subset=["source", "event_id"], keep="first", maintain_order=True)
        .collect()
    )
    scores = (
        clean.lazy()
        .filter((pl.col("ts") >= AS_OF_END - pl.duration(days=90)) & (pl.col("ts") < AS_OF_END))
        .join(weights, left_on="canonical", right_on="event_type", how="left")
        .with_columns(
            (
                pl.col("points").fill_null(0)
                * pl.lit(0.5).pow((AS_OF_END - pl.col("ts")).dt.total_seconds() / 86400 / 30)
            ).alias("points_now")
        )
        .group_by("email")
        .agg(pl.col("points_now").sum())
        .collect()
    )
    return {"cleaned": clean.height, "contacts_scored": scores.height}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
