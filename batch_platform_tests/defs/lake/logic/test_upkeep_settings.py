"""Upkeep settings from the environment."""

import datetime as dt

import pytest

from batch_platform.defs.lake.logic.upkeep_settings import UpkeepSettings, load_upkeep_settings

NOW = dt.datetime(2026, 11, 8, 3, tzinfo=dt.UTC)


def test_defaults():
    settings = load_upkeep_settings({})
    assert settings == UpkeepSettings()
    assert settings.snapshot_cutoff(NOW) == NOW - dt.timedelta(days=7)
    assert settings.cleanup_cutoff(NOW) == NOW - dt.timedelta(hours=24)
    assert settings.small_file_bytes == 16 * 1024 * 1024
    assert settings.max_small_files == 10


def test_from_the_environment():
    settings = load_upkeep_settings(
        {
            "BATCH_PLATFORM_LAKE_SNAPSHOT_RETENTION_DAYS": "0",
            "BATCH_PLATFORM_LAKE_CLEANUP_MARGIN_HOURS": "1.5",
            "BATCH_PLATFORM_LAKE_SMALL_FILE_MB": "0.5",
            "BATCH_PLATFORM_LAKE_MAX_SMALL_FILES": "3",
            "BATCH_PLATFORM_LAKE_UNKNOWN": "ignored",
        }
    )
    assert settings.snapshot_cutoff(NOW) == NOW
    assert settings.cleanup_cutoff(NOW) == NOW - dt.timedelta(minutes=90)
    assert settings.small_file_bytes == 512 * 1024
    assert settings.max_small_files == 3
    assert load_upkeep_settings({"BATCH_PLATFORM_LAKE_MAX_SMALL_FILES": ""}).max_small_files == 10


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SNAPSHOT_RETENTION_DAYS", "a week", "cannot read 'a week' as float"),
        ("SNAPSHOT_RETENTION_DAYS", "-1", "must be at least 0"),
        ("SNAPSHOT_RETENTION_DAYS", "nan", "must be at least 0"),
        ("CLEANUP_MARGIN_HOURS", "inf", "must be at least 0"),
        ("SMALL_FILE_MB", "0", "must be at least 0.001"),
        ("MAX_SMALL_FILES", "2.5", "cannot read '2.5' as int"),
    ],
)
def test_bad_values_name_their_variable(name, value, message):
    with pytest.raises(ValueError, match=f"BATCH_PLATFORM_LAKE_{name}: {message}"):
        load_upkeep_settings({f"BATCH_PLATFORM_LAKE_{name}": value})
