"""Unit tests for ``batch_platform.lib.keys``: partition keys for landed file names."""

from __future__ import annotations

import re

import pytest

from batch_platform.lib.keys import MAX_KEY_LENGTH, partition_key_for

SAFE_KEY = re.compile(r"^[A-Za-z0-9._-]+$")

SAFE_NAMES = [
    "events.csv",
    "website_events_part1.csv",
    "product-events-a.jsonl.gz",
    "EMAIL_EVENTS.parquet",
    "2024-01-01.v2.ndjson",
    "a",
    "x" * MAX_KEY_LENGTH,
]

UNSAFE_NAMES = [
    "crm export, Q3|final.csv",
    "a,b.csv",
    "a|b.csv",
    "dir/file.csv",
    "dir\\file.csv",
    "with space.csv",
    "  leading and trailing  ",
    "tab\there.csv",
    "new\nline.csv",
    "café.csv",
    "日本語.csv",
    "emoji 🚀.jsonl",
    "quote'\"s.csv",
    "semi;colon:colon.csv",
    "percent%20encoded.csv",
    "///",
    "...",
    ".hidden.csv",
    "_underscored_",
    "",
    "x" * (MAX_KEY_LENGTH + 1),
    "y" * 500 + ".csv",
    "z" * 300 + " " + "z" * 300,
    "surrogate\udcff.csv",  # an undecodable byte from os.listdir
]


@pytest.mark.parametrize("name", SAFE_NAMES)
def test_safe_names_are_used_unchanged(name):
    assert partition_key_for(name) == name


@pytest.mark.parametrize("name", UNSAFE_NAMES)
def test_unsafe_names_get_safe_bounded_keys(name):
    key = partition_key_for(name)
    assert SAFE_KEY.match(key), key
    assert len(key) <= MAX_KEY_LENGTH
    assert key != name
    assert re.search(r"-[0-9a-f]{8}$", key), "a short hash of the original name is appended"


@pytest.mark.parametrize("name", SAFE_NAMES + UNSAFE_NAMES)
def test_keys_are_stable(name):
    assert partition_key_for(name) == partition_key_for(name)


def test_keys_are_stable_across_processes_and_versions():
    """Keys are stored as Dagster partitions: the mapping must never change."""
    assert partition_key_for("crm export, Q3|final.csv") == "crm_export_Q3_final.csv-96416158"
    assert partition_key_for("a b.csv") == "a_b.csv-50a29e02"
    assert partition_key_for("///") == "file-c64b8480"


def test_unsafe_characters_become_underscores_and_the_name_stays_readable():
    key = partition_key_for("crm export, Q3|final.csv")
    assert key.startswith("crm_export_Q3_final.csv-")


def test_distinct_names_get_distinct_keys():
    # Names that sanitise alike, differ only in case, or only in where they are cut.
    names = [
        *SAFE_NAMES,
        *UNSAFE_NAMES,
        "a b.csv",
        "a_b.csv",
        "a,b.csv",
        "a|b.csv",
        "a  b.csv",
        "A b.csv",
        "a b.CSV",
        "x" * 200 + "1",
        "x" * 200 + "2",
        "x" * (MAX_KEY_LENGTH + 2),
        "é.csv",
        "è.csv",
    ]
    names += [f"file {n}.csv" for n in range(2000)]
    names = list(dict.fromkeys(names))
    keys = [partition_key_for(name) for name in names]
    assert len(set(keys)) == len(names)


def test_a_name_shaped_like_another_files_key_gets_its_own_key():
    taken = partition_key_for("a b.csv")
    assert taken == "a_b.csv-50a29e02"
    impostor = partition_key_for(taken)
    assert impostor != taken
    assert re.fullmatch(r"a_b\.csv-50a29e02-[0-9a-f]{8}", impostor)
    assert partition_key_for("report-2026.csv") == "report-2026.csv"  # not 8 hex digits
