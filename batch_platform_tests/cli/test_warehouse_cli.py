"""`batch-platform warehouse import/export`: a DuckDB-file warehouse into the lake and back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from batch_platform.cli import main
from batch_platform.lib.warehouse import SCHEMA_FILES, TABLES
from batch_platform_tests.cli.conftest import USAGE

DROPPED = "content.chunks"  # a table the old file lacks (it predates it)


def old_warehouse_file(path: Path) -> Path:
    """A DuckDB-file warehouse as the platform wrote it before the lake: every table of the
    schema files, some rows, one table missing and one table that is not the warehouse's."""
    con = duckdb.connect(str(path))
    try:
        for schema_file in SCHEMA_FILES:
            con.execute(schema_file.read_text())
        con.execute(f"DROP TABLE {DROPPED}")
        con.execute(
            f"INSERT INTO {USAGE} SELECT DATE '2025-01-01' + i::INTEGER, 'd' || (i % 7) || '.io', "
            "i, i % 13, i % 5, i % 3 FROM range(2500) AS t(i)"
        )
        con.execute(
            "INSERT INTO raw.signal_files (partition_key, source_file, file_format, size_bytes, "
            "modified_at, data_rows, status) VALUES "
            "('a', 'a.csv', 'csv', 10, TIMESTAMP '2025-01-01 10:00:00', 3, 'loaded'), "
            "('b', 'b.jsonl', 'jsonl', 20, TIMESTAMP '2025-01-02 11:00:00', NULL, 'quarantined')"
        )
        con.execute("CREATE TABLE main.scratch AS SELECT 42 AS answer")
    finally:
        con.close()
    return path


def rows_of(path: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_import_copies_every_table_of_the_file_into_the_lake(lake, tmp_path, capsys):
    old = old_warehouse_file(tmp_path / "warehouse.duckdb")
    lake.add_usage(4, domain="replaced.io")  # rows the import replaces
    assert main(["warehouse", "import", str(old)]) == 0
    out = capsys.readouterr().out
    assert f"  {USAGE}: 2,500 rows\n" in out
    assert "  raw.signal_files: 2 rows\n" in out
    assert f"  {DROPPED}: not in warehouse.duckdb, skipped\n" in out
    assert "not warehouse tables, not imported: main.scratch" in out
    assert (
        f"imported {len(TABLES) - 1} tables (2,502 rows) from {old}; 1 not in the file, skipped"
        in out
    )
    assert lake.query(f"SELECT * FROM {USAGE} ORDER BY ALL") == rows_of(old, USAGE)
    assert lake.query("SELECT * FROM raw.signal_files ORDER BY ALL") == [
        ("a", "a.csv", "csv", 10, dt.datetime(2025, 1, 1, 10), 3, "loaded"),
        ("b", "b.jsonl", "jsonl", 20, dt.datetime(2025, 1, 2, 11), None, "quarantined"),
    ]
    snapshots = lake.query("SELECT count(*) FROM ducklake_snapshots(current_database())")
    # the same again: the same rows, table by table
    assert main(["warehouse", "import", str(old)]) == 0
    capsys.readouterr()
    assert lake.query(f"SELECT count(*) FROM {USAGE}") == [(2500,)]
    assert lake.query("SELECT count(*) FROM raw.signal_files") == [(2,)]
    assert lake.query("SELECT count(*) FROM ducklake_snapshots(current_database())") > snapshots


def test_export_round_trips_the_imported_rows(lake, tmp_path, capsys):
    old = old_warehouse_file(tmp_path / "warehouse.duckdb")
    assert main(["warehouse", "import", str(old)]) == 0
    out_file = tmp_path / "export" / "out.duckdb"
    capsys.readouterr()
    assert main(["warehouse", "export", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert f"  {USAGE}: 2,500 rows\n" in out
    assert f"exported {len(TABLES)} tables (2,502 rows) at snapshot" in out
    assert not out_file.with_name("out.duckdb.part").exists()
    for table in TABLES:
        expected = [] if table == DROPPED else rows_of(old, table)
        assert rows_of(out_file, table) == expected, table

    # the export reads the lake from the command line too, and imports back the same
    again = tmp_path / "again"
    assert main(["warehouse", "import", str(out_file), "--warehouse", str(again)]) == 0
    assert f"imported {len(TABLES)} tables (2,502 rows)" in capsys.readouterr().out


def test_export_refuses_to_overwrite_without_force(lake, tmp_path, capsys):
    first = lake.add_usage(3)
    lake.add_usage(2, domain="later.io")
    out_file = tmp_path / "out.duckdb"
    out_file.write_text("keep me")
    assert main(["warehouse", "export", str(out_file)]) == 1
    assert capsys.readouterr().err == f"error: {out_file} exists: pass --force to replace it\n"
    assert out_file.read_text() == "keep me"

    assert main(["warehouse", "export", str(out_file), "--force", "--at-snapshot", str(first)]) == 0
    assert f"at snapshot {first} to {out_file}" in capsys.readouterr().out
    assert len(rows_of(out_file, USAGE)) == 3  # the older snapshot, not the latest


def test_import_of_what_is_not_a_duckdb_file_is_one_clear_line(lake, tmp_path, capsys):
    not_duckdb = tmp_path / "notes.txt"
    not_duckdb.write_text("hello")
    assert main(["warehouse", "import", str(not_duckdb)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot open {not_duckdb} as a DuckDB file")
    assert len(err.splitlines()) == 1
    assert main(["warehouse", "import", str(tmp_path / "missing.duckdb")]) == 1
    assert "no such file" in capsys.readouterr().err
