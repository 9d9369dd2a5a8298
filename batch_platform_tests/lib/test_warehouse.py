"""Unit tests for ``batch_platform.lib.warehouse``: connecting, schema, partitions, transactions."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time

import duckdb
import pyarrow as pa
import pytest

from batch_platform.lib.warehouse import (
    LAKE_CATALOG_FILE,
    TABLES,
    Lake,
    LakeInvalidated,
    WarehouseError,
    atomically,
    checked_table,
    connect,
    current_snapshot,
    integer_list,
    is_conflict,
    is_transient_attach_error,
    one_snapshot,
    quote_ident,
    scalar,
    stage_rows,
    transaction,
    write_partition,
)

USAGE = "clean.daily_account_usage"
DAY_1 = dt.date(2024, 1, 1)
DAY_2 = dt.date(2024, 1, 2)


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "warehouse")
    yield connection
    connection.close()


def usage_rows(con, day=None) -> list[tuple]:
    where = "WHERE usage_date = $day" if day else ""
    return con.execute(
        f"SELECT usage_date, account_domain, product_events FROM {USAGE} {where} ORDER BY ALL",
        {"day": day} if day else None,
    ).fetchall()


def seed_usage(con) -> None:
    con.execute(
        f"INSERT INTO {USAGE} VALUES "
        "('2024-01-01', 'a.com', 1, 1, 1, 1), ('2024-01-01', 'b.com', 2, 1, 1, 1), "
        "('2024-01-02', 'a.com', 3, 1, 1, 1)"
    )


NEW_DAY_1_SQL = (
    "SELECT $day::DATE AS usage_date, domain AS account_domain, 10 AS product_events, "
    "1 AS active_users, 0 AS logins, 0 AS features_used "
    "FROM (VALUES ('c.com'), ('d.com'), ('e.com')) AS t(domain)"
)


# ---------------------------------------------------------------- connect
def _tables(con) -> set[str]:
    return {
        f"{s}.{t}"
        for s, t in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE NOT temporary AND database_name = current_database()"
        ).fetchall()
    }


def test_connect_creates_the_lake_every_schema_and_every_table(tmp_path):
    path = tmp_path / "nested" / "dirs" / "warehouse"
    con = connect(path)
    try:
        assert (path / LAKE_CATALOG_FILE).is_file()
        assert (path / "data").is_dir()
        schemas = {
            r[0]
            for r in con.execute(
                "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database()"
            ).fetchall()
        }
        assert {"raw", "clean", "quarantine", "scores", "reports"} <= schemas
        assert _tables(con) == set(TABLES)
        for table in TABLES:
            assert scalar(con, f"SELECT count(*) FROM {table}") == 0
    finally:
        con.close()


def test_connect_again_keeps_the_data(tmp_path):
    path = tmp_path / "warehouse"
    con = connect(path)
    seed_usage(con)
    con.close()
    con = connect(str(path))
    try:
        assert len(usage_rows(con)) == 3
    finally:
        con.close()


def _lake_option(con, name: str) -> str | None:
    lake = scalar(con, "SELECT current_database()")
    return scalar(con, f"SELECT value FROM {lake}.options() WHERE option_name = ?", [name])


def test_a_new_lake_writes_parquet_version_2(con):
    assert _lake_option(con, "parquet_version") == "V2"
    con.execute("CREATE TABLE raw.probe AS SELECT range AS i, 'v' || range AS s FROM range(1000)")
    lake = scalar(con, "SELECT current_database()")
    (path,) = con.execute(
        f"SELECT data_file FROM ducklake_list_files('{lake}', 'probe', schema => 'raw')"
    ).fetchone()
    encodings = {
        row[0]
        for row in con.execute(f"SELECT encodings FROM parquet_metadata('{path}')").fetchall()
    }
    assert "DELTA_BINARY_PACKED" in encodings
    assert scalar(con, "SELECT sum(i) FROM raw.probe") == sum(range(1000))


def test_a_parquet_version_the_user_set_is_kept(tmp_path):
    from batch_platform.lib import warehouse

    con = connect(tmp_path / "warehouse")
    lake = scalar(con, "SELECT current_database()")
    con.execute(f"CALL {lake}.set_option('parquet_version', 1)")
    con.close()
    warehouse._PROCESS_DATABASE.discard()  # as a new process: the schema is applied again
    con = connect(tmp_path / "warehouse")
    try:
        assert _lake_option(con, "parquet_version") == "V1"
    finally:
        con.close()


def test_connect_in_memory_uses_utc():
    con = connect(":memory:")
    try:
        assert scalar(con, "SELECT current_setting('TimeZone')") == "UTC"
        assert scalar(con, "SELECT count(*) FROM raw.signals") == 0
    finally:
        con.close()


def test_connect_applies_threads_and_utc(tmp_path):
    con = connect(tmp_path / "w", threads=2, memory_limit="512MB")
    try:
        assert scalar(con, "SELECT current_setting('threads')") == 2
        assert scalar(con, "SELECT current_setting('TimeZone')") == "UTC"
    finally:
        con.close()


def test_read_only_connection_reads_but_cannot_write(tmp_path):
    path = tmp_path / "w"
    con = connect(path)
    seed_usage(con)
    reader = connect(path, read_only=True)
    try:
        assert len(usage_rows(reader)) == 3
        with pytest.raises(duckdb.Error):
            reader.execute(f"DELETE FROM {USAGE}")
        con.execute(f"DELETE FROM {USAGE} WHERE account_domain = 'b.com'")
        assert len(usage_rows(reader)) == 2  # a reader sees each commit as it lands
    finally:
        reader.close()
        con.close()


def test_read_only_on_a_missing_warehouse_says_where_it_looked(tmp_path):
    with pytest.raises(WarehouseError, match=r"no warehouse at .*missing"):
        connect(tmp_path / "missing", read_only=True)


def test_a_snapshot_reads_the_lake_as_it_was(tmp_path):
    path = tmp_path / "w"
    con = connect(path)
    seed_usage(con)
    before = current_snapshot(con)
    con.execute(f"DELETE FROM {USAGE}")
    assert current_snapshot(con) > before
    past = connect(path, snapshot=before)
    try:
        assert len(usage_rows(past)) == 3
        assert usage_rows(con) == []
    finally:
        past.close()
        con.close()


@pytest.mark.parametrize(
    ("relative", "blocked_dir"),
    [("afile/w", "afile"), ("afile/sub/w", "afile")],
)
def test_connect_under_a_regular_file_raises_warehouse_error(tmp_path, relative, blocked_dir):
    (tmp_path / "afile").write_text("not a directory")
    path = tmp_path / relative
    with pytest.raises(WarehouseError) as raised:
        connect(path)
    message = str(raised.value)
    assert str(tmp_path / relative) in message
    assert "warehouse" in message


def _write_table_for(path: str, table: str, seconds: float) -> None:
    con = connect(path)

    def write() -> None:
        con.execute(
            f"INSERT INTO {table} (partition_key, source_file, size_bytes, modified_at, status) "
            "VALUES ('k', 'f.csv', 1, now()::TIMESTAMP, 'loaded')"
            if table == "raw.signal_files"
            else f"INSERT INTO {table} VALUES ('2024-01-09', 'p.com', 1, 1, 1, 1)"
        )
        time.sleep(seconds)  # hold the transaction open while the other process writes

    atomically(con, write)


def test_processes_write_different_tables_at_once_and_read_meanwhile(tmp_path):
    """Two writer processes commit into different tables while a third process reads."""
    path = tmp_path / "w"
    connect(path).close()
    context = multiprocessing.get_context("spawn")
    writers = [
        context.Process(target=_write_table_for, args=(str(path), table, 2.0))
        for table in ("raw.signal_files", USAGE)
    ]
    for writer in writers:
        writer.start()
    reader = connect(path, read_only=True)
    started = time.monotonic()
    while any(w.is_alive() for w in writers):
        assert scalar(reader, f"SELECT count(*) FROM {USAGE}") in (0, 1)
        time.sleep(0.1)
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    assert time.monotonic() - started < 30
    assert scalar(reader, "SELECT count(*) FROM raw.signal_files") == 1
    assert scalar(reader, f"SELECT count(*) FROM {USAGE}") == 1
    reader.close()


# ---------------------------------------------------------------- partitions and transactions
def test_write_partition_inside_a_transaction_replaces_only_its_partition(con):
    seed_usage(con)
    with transaction(con):
        inserted = write_partition(
            con, USAGE, {"usage_date": DAY_1}, NEW_DAY_1_SQL, {"day": DAY_1}, in_transaction=True
        )
    assert inserted == 3
    assert usage_rows(con, DAY_1) == [(DAY_1, d, 10) for d in ("c.com", "d.com", "e.com")]
    assert usage_rows(con, DAY_2) == [(DAY_2, "a.com", 3)]


def test_write_partition_twice_is_idempotent(con):
    seed_usage(con)
    for _ in range(2):
        with transaction(con):
            write_partition(
                con,
                USAGE,
                {"usage_date": DAY_1},
                NEW_DAY_1_SQL,
                {"day": DAY_1},
                in_transaction=True,
            )
    assert len(usage_rows(con, DAY_1)) == 3
    assert len(usage_rows(con)) == 4


def test_write_partition_with_several_key_columns(con):
    seed_usage(con)
    with transaction(con):
        inserted = write_partition(
            con,
            USAGE,
            {"usage_date": DAY_1, "account_domain": "a.com"},
            "SELECT $day::DATE AS usage_date, 'a.com' AS account_domain, 99 AS product_events, "
            "0 AS active_users, 0 AS logins, 0 AS features_used",
            {"day": DAY_1},
            in_transaction=True,
        )
    assert inserted == 1
    assert usage_rows(con) == [
        (DAY_1, "a.com", 99),
        (DAY_1, "b.com", 2),
        (DAY_2, "a.com", 3),
    ]


def test_write_partition_with_no_new_rows_empties_the_partition(con):
    seed_usage(con)
    with transaction(con):
        inserted = write_partition(
            con,
            USAGE,
            {"usage_date": DAY_1},
            NEW_DAY_1_SQL + " WHERE false",
            {"day": DAY_1},
            in_transaction=True,
        )
    assert inserted == 0
    assert usage_rows(con) == [(DAY_2, "a.com", 3)]


def test_partition_values_are_bound_not_interpolated(con):
    seed_usage(con)
    hostile = "a.com' OR '1'='1"
    with transaction(con):
        write_partition(
            con,
            USAGE,
            {"account_domain": hostile},
            "SELECT DATE '2024-01-03' AS usage_date, $d AS account_domain, 7 AS product_events, "
            "0 AS active_users, 0 AS logins, 0 AS features_used",
            {"d": hostile},
            in_transaction=True,
        )
    assert len(usage_rows(con)) == 4
    assert scalar(con, f"SELECT account_domain FROM {USAGE} WHERE product_events = 7") == hostile


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_an_exception_inside_transaction_rolls_back(con, error):
    seed_usage(con)
    before = usage_rows(con)
    with pytest.raises(type(error)), transaction(con):
        write_partition(
            con, USAGE, {"usage_date": DAY_1}, NEW_DAY_1_SQL, {"day": DAY_1}, in_transaction=True
        )
        assert len(usage_rows(con, DAY_1)) == 3  # visible inside the transaction
        raise error
    assert usage_rows(con) == before
    # The connection is usable afterwards, outside any transaction.
    with transaction(con):
        write_partition(
            con, USAGE, {"usage_date": DAY_1}, NEW_DAY_1_SQL, {"day": DAY_1}, in_transaction=True
        )
    assert len(usage_rows(con, DAY_1)) == 3


def test_a_failing_insert_rolls_back_the_delete(con):
    seed_usage(con)
    before = usage_rows(con)
    with pytest.raises(duckdb.Error), transaction(con):
        write_partition(
            con,
            USAGE,
            {"usage_date": DAY_1},
            "SELECT $day::DATE AS usage_date, NULL AS account_domain, 1 AS product_events, "
            "1 AS active_users, 1 AS logins, 1 AS features_used",  # NOT NULL violated
            {"day": DAY_1},
            in_transaction=True,
        )
    assert usage_rows(con) == before


@pytest.fixture
def writer_and_reader(tmp_path):
    """Two connections to one seeded lake, as two processes would hold them."""
    path = tmp_path / "w"
    writer, reader = connect(path), connect(path)
    try:
        seed_usage(writer)
        yield writer, reader
    finally:
        reader.close()
        writer.close()


def test_other_connections_see_nothing_before_commit(writer_and_reader):
    writer, reader = writer_and_reader
    with transaction(writer):
        write_partition(
            writer,
            USAGE,
            {"usage_date": DAY_1},
            NEW_DAY_1_SQL,
            {"day": DAY_1},
            in_transaction=True,
        )
        assert len(usage_rows(reader, DAY_1)) == 2
    assert len(usage_rows(reader, DAY_1)) == 3


def test_one_snapshot_reads_what_was_there_when_it_began_and_refuses_writes(writer_and_reader):
    writer, reader = writer_and_reader
    with one_snapshot(reader):
        before = len(usage_rows(reader, DAY_1))
        with transaction(writer):  # another process's commit in the meantime
            writer.execute(f"DELETE FROM {USAGE} WHERE usage_date = ?", [DAY_1])
        assert len(usage_rows(reader, DAY_1)) == before  # still its snapshot
        reader.execute("CREATE TEMP TABLE scratch AS SELECT 1 AS n")  # temp tables allowed
        with pytest.raises(duckdb.TransactionException, match="Cannot write"):
            reader.execute(f"DELETE FROM {USAGE}")
    assert usage_rows(reader, DAY_1) == []  # the next statement sees the commit
    assert len(usage_rows(reader, DAY_2)) > 0  # and nothing of its own was written


def test_write_partition_rejects_a_bad_table_name_before_touching_data(con):
    seed_usage(con)
    with pytest.raises(ValueError, match=r"not a valid schema\.table"):
        write_partition(
            con,
            f"{USAGE}; DROP TABLE raw.signals",
            {"usage_date": DAY_1},
            NEW_DAY_1_SQL,
            in_transaction=True,
        )
    assert len(usage_rows(con)) == 3


def test_atomically_commits_the_result(con):
    assert atomically(con, lambda: con.execute(f"DELETE FROM {USAGE}") and "done") == "done"


def test_atomically_retries_a_conflict_from_scratch(con):
    attempts = []

    def write():
        con.execute(f"INSERT INTO {USAGE} VALUES ('2024-01-05', 'x.com', {len(attempts)}, 0, 0, 0)")
        attempts.append(1)
        if len(attempts) == 1:
            raise duckdb.TransactionException("TransactionContext Error: Conflict on update")
        return "written"

    assert atomically(con, write) == "written"
    assert len(attempts) == 2
    # Only the second attempt's row survives: the first was rolled back.
    assert usage_rows(con) == [(dt.date(2024, 1, 5), "x.com", 1)]


def test_an_internal_error_in_a_write_is_not_retried_on_the_dead_connection(tmp_path):
    # DuckLake 0.3 can fail a DELETE racing another process's compaction with an internal
    # error that invalidates the whole database: no ROLLBACK (it would abort the process), a
    # clear error, and the next connection is a fresh database that sees nothing of the write.
    con = connect(tmp_path / "warehouse")
    seed_usage(con)
    before = usage_rows(con)
    attempts = []

    def write():
        attempts.append(1)
        con.execute(f"DELETE FROM {USAGE}")
        raise duckdb.InternalException("INTERNAL Error: Could not find matching file")

    with pytest.raises(LakeInvalidated, match="nothing was committed"):
        atomically(con, write)
    assert len(attempts) == 1
    fresh = connect(tmp_path / "warehouse")
    assert usage_rows(fresh) == before
    fresh.close()


def test_a_step_whose_connection_was_invalidated_asks_dagster_for_a_retry(tmp_path):
    import dagster as dg

    from batch_platform.defs.common.resources import WarehouseResource

    resource = WarehouseResource(database=str(tmp_path / "warehouse"))
    with pytest.raises(dg.RetryRequested), resource.get_connection():
        raise LakeInvalidated("invalidated")


def test_atomically_does_not_retry_other_errors(con):
    seed_usage(con)
    attempts = []

    def write():
        attempts.append(1)
        con.execute(f"DELETE FROM {USAGE}")
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        atomically(con, write)
    assert len(attempts) == 1
    assert len(usage_rows(con)) == 3


# ---------------------------------------------------------------- small helpers
@pytest.mark.parametrize("name", ["raw.signals", "clean.signal_duplicates", "_a._b9", *TABLES])
def test_checked_table_accepts_our_names(name):
    assert checked_table(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "signals",
        "",
        ".",
        "raw.",
        ".signals",
        "a.b.c",
        "Raw.Signals",
        "raw.signals; DROP TABLE raw.signals",
        "raw.signals --",
        'raw."signals"',
        "raw.sig-nals",
        "raw.sig nals",
        "raw.9signals",
        "raw.signäls",
        " raw.signals",
        "raw.signals\n",
    ],
)
def test_checked_table_rejects_bad_names(name):
    with pytest.raises(ValueError, match=r"not a valid schema\.table name"):
        checked_table(name)


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("email", '"email"'), ('a"b', '"a""b"'), ("Weird Col", '"Weird Col"'), ("", '""')],
)
def test_quote_ident(name, quoted):
    assert quote_ident(name) == quoted


def test_quote_ident_round_trips_through_duckdb():
    con = duckdb.connect()
    try:
        for name in ['a"b', "x y", "select", "Ünï"]:
            assert con.execute(f"SELECT 1 AS {quote_ident(name)}").description[0][0] == name
    finally:
        con.close()


def test_conflict_classifier():
    assert is_conflict(duckdb.Error("database is locked"))
    assert is_conflict(duckdb.TransactionException("Transaction conflict on commit"))
    # A full disk also surfaces as a TransactionException; retrying it would only hide it.
    assert not is_conflict(duckdb.TransactionException("Failed to commit: No space left on device"))
    assert is_conflict(RuntimeError("Transaction conflict: cannot update a table"))
    assert not is_conflict(ValueError("bad input"))


def test_scalar(con):
    assert scalar(con, "SELECT 41 + $x", {"x": 1}) == 42
    assert scalar(con, f"SELECT product_events FROM {USAGE}") is None


# ---------------------------------------------------------------- write_partition, stage_rows
def test_write_partition_replaces_one_partition_in_its_own_transaction(con):
    seed_usage(con)
    written = write_partition(con, USAGE, {"usage_date": DAY_1}, NEW_DAY_1_SQL, {"day": DAY_1})
    assert written == 3
    assert usage_rows(con, DAY_1) == [(DAY_1, d, 10) for d in ("c.com", "d.com", "e.com")]
    assert usage_rows(con, DAY_2) == [(DAY_2, "a.com", 3)]


def test_write_partition_leaves_the_old_rows_when_the_insert_fails(con):
    seed_usage(con)
    with pytest.raises(duckdb.Error):
        write_partition(con, USAGE, {"usage_date": DAY_1}, "SELECT 1 AS no_such_column")
    assert usage_rows(con, DAY_1) == [(DAY_1, "a.com", 1), (DAY_1, "b.com", 2)]


def test_write_partition_with_no_partition_columns_replaces_the_whole_table(con):
    seed_usage(con)
    written = write_partition(con, USAGE, {}, NEW_DAY_1_SQL, {"day": DAY_2})
    assert written == 3
    assert usage_rows(con) == [(DAY_2, d, 10) for d in ("c.com", "d.com", "e.com")]


def test_write_partition_with_lists_replaces_exactly_those_partitions(con):
    seed_usage(con)
    con.execute(f"INSERT INTO {USAGE} VALUES ('2024-01-03', 'c.com', 4, 1, 1, 1)")
    # Integers become a literal IN list, strings a range beside list_contains: the same rows.
    written = write_partition(
        con,
        USAGE,
        {"product_events": [1, 3], "account_domain": ["a.com", "z.com"]},
        "SELECT DATE '2024-01-05' AS usage_date, 'a.com' AS account_domain, 3 AS product_events, "
        "0 AS active_users, 0 AS logins, 0 AS features_used",
    )
    assert written == 1
    assert usage_rows(con) == [
        (DAY_1, "b.com", 2),
        (dt.date(2024, 1, 3), "c.com", 4),
        (dt.date(2024, 1, 5), "a.com", 3),
    ]
    # A string range alone would also take 'b.com' (between 'a.com' and 'c.com'): it stays.
    empty = NEW_DAY_1_SQL + " WHERE false"
    write_partition(con, USAGE, {"account_domain": ["a.com", "c.com"]}, empty, {"day": DAY_1})
    assert usage_rows(con) == [(DAY_1, "b.com", 2)]


def test_integer_list_takes_only_integers():
    assert integer_list([3, 1, 2]) == "3, 1, 2"
    for bad in ([], ["1"], [1.5], [True], ["1); DROP TABLE x; --"]):
        with pytest.raises(ValueError):
            integer_list(bad)


@pytest.mark.parametrize(
    "rows",
    [
        {"domain": ["c.com", "d.com"], "events": [5, 6]},
        pa.table({"domain": ["c.com", "d.com"], "events": [5, 6]}),
    ],
)
def test_stage_rows_makes_a_temp_table_from_columns_or_arrow(con, rows):
    stage_rows(con, "staged_usage", {"domain": ["x.com"], "events": [1]})
    stage_rows(con, "staged_usage", rows)  # replaced, not appended
    assert con.execute("SELECT * FROM staged_usage ORDER BY ALL").fetchall() == [
        ("c.com", 5), ("d.com", 6)
    ]  # fmt: skip
    assert not con.execute("SELECT * FROM duckdb_views() WHERE view_name LIKE 'staged%'").fetchall()


def test_stage_rows_rejects_a_bad_name(con):
    with pytest.raises(ValueError, match="not a valid identifier"):
        stage_rows(con, "x; DROP TABLE y", {"a": [1]})


MISSING_LAKE = (
    'Invalid Input Error: Existing DuckLake at metadata catalog "sqlite:{path}" does not exist '
    "- and creating a new DuckLake is explicitly disabled"
)


def test_a_catalog_read_as_holding_no_lake_is_retried_only_while_its_file_is_there(tmp_path):
    lake = Lake(tmp_path)
    error = duckdb.InvalidInputException(MISSING_LAKE.format(path=tmp_path / "catalog.sqlite"))
    assert not is_transient_attach_error(error, lake)  # no catalog file: nothing to wait for
    (tmp_path / "catalog.sqlite").touch()
    assert is_transient_attach_error(error, lake)
    assert not is_transient_attach_error(duckdb.Error("Catalog Error: no such table"), lake)
    assert not is_transient_attach_error(error, Lake(tmp_path, postgres_catalog="dbname=x"))


def _create_lake_after(directory: str, seconds: float) -> None:
    time.sleep(seconds)
    con = connect(directory)
    con.execute("CREATE SCHEMA IF NOT EXISTS clean")
    con.execute("CREATE TABLE IF NOT EXISTS clean.late AS SELECT 42 AS answer")
    con.close()


def test_a_reader_attaching_while_the_catalog_is_not_yet_a_lake_attaches_once_it_is(tmp_path):
    """The failed attach leaves nothing behind: the retry attaches the lake when it is there."""
    import sqlite3

    directory = tmp_path / "lake"
    directory.mkdir()
    sqlite3.connect(directory / "catalog.sqlite").close()
    writer = multiprocessing.get_context("spawn").Process(
        target=_create_lake_after, args=(str(directory), 1.0)
    )
    writer.start()
    try:
        con = connect(directory, read_only=True)
        # The writer makes the lake, then the table: the reader can attach between the two (it
        # did on a loaded machine), and sees the table in the lake's next snapshot.
        writer.join(60)
        assert con.execute("SELECT answer FROM clean.late").fetchall() == [(42,)]
        con.close()
    finally:
        writer.join(60)
