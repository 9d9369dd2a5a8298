"""Settings come from BATCH_PLATFORM_* variables, with documented defaults and clear errors."""

from pathlib import Path

import pytest

from batch_platform.lib.settings import load_settings


def test_defaults_when_nothing_is_set():
    settings = load_settings({})
    assert settings.landing_dir == Path("data/landing")
    assert settings.warehouse == Path("data/warehouse")
    assert settings.duckdb_memory_limit == "3GB"
    assert settings.duckdb_threads is None
    assert settings.ducklake_catalog is None  # the embedded lake: a SQLite catalog


def test_duckdb_memory_limit_and_threads_from_the_environment():
    settings = load_settings(
        {"BATCH_PLATFORM_DUCKDB_MEMORY_LIMIT": "12GB", "BATCH_PLATFORM_DUCKDB_THREADS": "4"}
    )
    assert (settings.duckdb_memory_limit, settings.duckdb_threads) == ("12GB", 4)


@pytest.mark.parametrize("value", ["zero", "0", "-2", "1.5"])
def test_bad_thread_counts_name_the_variable(value):
    with pytest.raises(ValueError, match="BATCH_PLATFORM_DUCKDB_THREADS must be a positive"):
        load_settings({"BATCH_PLATFORM_DUCKDB_THREADS": value})


def test_the_warehouse_connection_uses_the_configured_limit(tmp_path, monkeypatch):
    from batch_platform.defs.common.resources import WarehouseResource

    monkeypatch.setenv("BATCH_PLATFORM_DUCKDB_MEMORY_LIMIT", "700MB")
    monkeypatch.setenv("BATCH_PLATFORM_DUCKDB_THREADS", "1")
    with WarehouseResource(database=str(tmp_path / "w")).get_connection() as con:
        limit, threads = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')"
        ).fetchone()
    assert limit.replace(" ", "") in {"667.5MiB", "700.0MB"}
    assert threads == 1
