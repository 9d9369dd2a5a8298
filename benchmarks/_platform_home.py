"""A throwaway platform home for benchmark processes: Dagster on SQLite, landing, warehouse."""

import os
from pathlib import Path


def prepare_platform_home(work: Path) -> Path:
    """Point the platform's settings and DAGSTER_HOME under ``work``; return the landing dir."""
    landing = work / "landing"
    (landing / "signals").mkdir(parents=True)
    os.environ.update(
        DAGSTER_HOME=str(work),
        BATCH_PLATFORM_LANDING_DIR=str(landing),
        BATCH_PLATFORM_WAREHOUSE=str(work / "warehouse"),
        BATCH_PLATFORM_REPORTS_DIR=str(work / "reports"),
        BATCH_PLATFORM_SETTLE_SECONDS="0",
    )
    (work / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return landing
