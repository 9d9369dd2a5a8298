"""De-duplication and the event-key check group keys by event_hash first; the key decides, so
two different events whose hashes collide are both kept, and a repeated key is still found."""

import duckdb
import pytest

from batch_platform.defs.signals.logic.signal_cleaning import load_sql
from batch_platform.defs.signals.logic.signal_partitions import RunPartitions

COLLIDING_HASH = 42


@pytest.fixture
def con():
    con = duckdb.connect(":memory:")
    con.execute(
        "CREATE TEMP TABLE run_files AS SELECT * FROM (VALUES "
        "('a.csv', 1, 7, 'a.csv'), ('b.csv', 2, 8, 'b.csv')) "
        "AS t(partition_key, file_order, partition_id, source_file)"
    )
    con.execute(
        "CREATE TEMP TABLE typed_signals (partition_id BIGINT, file_order BIGINT, "
        "source_line BIGINT, reason VARCHAR, event_key VARCHAR, event_hash BIGINT)"
    )
    con.execute(
        "CREATE TEMP TABLE history_keys (event_hash BIGINT, event_key VARCHAR, "
        "source_file VARCHAR, source_line BIGINT)"
    )
    yield con
    con.close()


def duplicates(con, typed: list[tuple], history: list[tuple] = ()) -> list[tuple]:
    con.executemany("INSERT INTO typed_signals VALUES (?, ?, ?, ?, ?, ?)", typed)
    if history:
        con.executemany("INSERT INTO history_keys VALUES (?, ?, ?, ?)", list(history))
    con.execute(load_sql("stage_duplicate_signals"))
    return con.execute(
        "SELECT source_file, source_line, scope, duplicate_of_file, duplicate_of_line "
        "FROM duplicate_signals ORDER BY file_order, source_line"
    ).fetchall()


def test_different_keys_with_one_hash_are_both_kept(con):
    typed = [
        (7, 1, 1, None, "key-one", COLLIDING_HASH),
        (7, 1, 2, None, "key-two", COLLIDING_HASH),
        (8, 2, 1, None, "key-three", COLLIDING_HASH),
    ]
    assert duplicates(con, typed, [(COLLIDING_HASH, "key-four", "old.csv", 3)]) == []


def test_a_repeated_key_among_colliding_hashes_is_a_duplicate_of_the_first(con):
    typed = [
        (7, 1, 1, None, "key-one", COLLIDING_HASH),
        (7, 1, 2, None, "key-two", COLLIDING_HASH),
        (8, 2, 5, None, "key-two", COLLIDING_HASH),
        (8, 2, 6, "missing email", "key-one", COLLIDING_HASH),  # invalid: never a duplicate
    ]
    assert duplicates(con, typed) == [("b.csv", 5, "across_files", "a.csv", 2)]


def test_a_key_kept_by_history_wins_over_the_run(con):
    typed = [(7, 1, 1, None, "key-one", 1), (7, 1, 2, None, "key-one", 1)]
    history = [(1, "key-one", "old.csv", 9), (1, "key-other", "old.csv", 3)]
    assert duplicates(con, typed, history) == [
        ("a.csv", 1, "across_files", "old.csv", 9),
        ("a.csv", 2, "across_files", "old.csv", 9),
    ]


def event_key_failures(con, run_keys: list[tuple], elsewhere: list[tuple] = ()) -> list[tuple]:
    con.execute(
        "CREATE TEMP TABLE check_run_keys (partition_id BIGINT, event_key VARCHAR, "
        "event_hash BIGINT)"
    )
    con.execute("CREATE TEMP TABLE check_keys_elsewhere (event_key VARCHAR, event_hash BIGINT)")
    con.executemany("INSERT INTO check_run_keys VALUES (?, ?, ?)", run_keys)
    if elsewhere:
        con.executemany("INSERT INTO check_keys_elsewhere VALUES (?, ?)", list(elsewhere))
    return sorted(con.execute(load_sql("check_event_key_unique")).fetchall())


def test_the_event_key_check_tells_colliding_hashes_from_repeated_keys(con):
    run_keys = [
        (7, "key-one", COLLIDING_HASH),
        (7, "key-two", COLLIDING_HASH),
        (8, "key-three", COLLIDING_HASH),
    ]
    assert event_key_failures(con, run_keys, [("key-four", COLLIDING_HASH)]) == []


def test_the_event_key_check_counts_keys_kept_twice_or_elsewhere(con):
    run_keys = [
        (7, "key-one", 1),
        (8, "key-one", 1),
        (8, "key-two", COLLIDING_HASH),
        (8, "key-three", 3),
    ]
    assert event_key_failures(con, run_keys, [("key-three", 3)]) == [(7, 1), (8, 2)]


def test_the_run_keys_as_a_literal_list_survive_quotes_and_braces(con):
    keys = ["it's.csv", "{run_partition_ids}.csv", "plain.csv"]
    partitions = RunPartitions(dict(zip(keys, (1, 2, 3), strict=True)))
    sql = partitions.sql("SELECT {run_partition_keys}, [{run_partition_ids}]")
    assert con.execute(sql).fetchall() == [(keys, [1, 2, 3])]
