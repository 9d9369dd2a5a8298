"""Unit tests for ``defs/signals/logic/raw_signal_load``: a run's files read side by side and
written in one transaction give exactly what loading them one by one gives."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from batch_platform.defs.signals.logic.raw_signal_load import (
    FileToLoad,
    load_signal_file,
    load_signal_files,
)
from batch_platform.lib import warehouse
from batch_platform.lib.keys import partition_key_for

HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"
RAW_TABLES = {
    "raw.signals": "SELECT * EXCLUDE (partition_id) FROM raw.signals "
    "ORDER BY source_file, source_line",
    "raw.signal_files": "SELECT * EXCLUDE (modified_at) FROM raw.signal_files ORDER BY 1",
    "quarantine.signal_files": "SELECT partition_key, source_file, reason "
    "FROM quarantine.signal_files ORDER BY 1",
    "partition ids": "SELECT p.partition_key, count(*), min(s.partition_id) = max(s.partition_id) "
    "FROM raw.signals s JOIN raw.signal_partitions p USING (partition_id) GROUP BY 1 ORDER BY 1",
}


def csv_rows(prefix: str, rows: int) -> str:
    return "".join(
        f"{prefix}{i},2026-01-05T10:00:{i % 60:02d}Z,website,page_view,u{i}@x.io,,\n"
        for i in range(rows)
    )


@pytest.fixture
def landed(tmp_path):
    """Files of every kind a run may hold: plain, with an invalid byte, gzip, JSONL, Parquet, an
    extra column, an empty file, binary content and an unsupported type."""
    folder = tmp_path / "landing"
    folder.mkdir()
    (folder / "a.csv").write_text(HEADER + csv_rows("a", 500))
    (folder / "bad byte.csv").write_bytes(
        (HEADER + csv_rows("b", 20)).encode() + b"b20,2026-01-05T10:00:00Z,web\xffsite,x,y@x.io,,\n"
    )
    (folder / "c.csv.gz").write_bytes(gzip.compress((HEADER + csv_rows("c", 30)).encode()))
    (folder / "d.jsonl").write_text(
        "".join(
            json.dumps({"event_id": f"d{i}", "occurred_at": "2026-01-05T10:00:00Z",
                        "source": "website", "event_type": "page_view", "email": f"d{i}@x.io",
                        "properties": {"n": i}}) + "\n"
            for i in range(15)
        )
    )  # fmt: skip
    pq.write_table(
        pa.table({"occurred_at": ["2026-01-05T10:00:00Z"] * 3, "source": ["crm"] * 3,
                  "event_type": ["demo_request"] * 3, "email": ["p@x.io", "q@x.io", "r@x.io"]}),
        folder / "e.parquet",
    )  # fmt: skip
    (folder / "f.csv").write_text(HEADER.strip() + ",region\n" + "f1,2026-01-05T10:00:00Z,website,"
                                  "page_view,f@x.io,,,emea\n")  # fmt: skip
    # More all-blank rows than the numbering takes steps: the read is copied without them.
    (folder / "g blanks [1]*.csv").write_text(
        HEADER + "".join(f"g{i},2026-01-05T10:00:00Z,website,page_view,g{i}@x.io,,\n,,,,,,\n"
                         for i in range(300))
    )  # fmt: skip
    # A value holding a line break and a rejected row: only the exact reader can place it.
    (folder / "h.csv").write_text(
        HEADER + 'h1,2026-01-05T10:00:00Z,website,page_view,h1@x.io,,"{""a"":\n1}"\n'
        "h2,2026-01-05T10:00:00Z,website,page_view,h2@x.io,,,extra,fields\n" + csv_rows("h", 5)
    )
    (folder / "empty.csv").write_bytes(b"")
    (folder / "binary.csv").write_bytes(b"\x00\x01\x02")
    (folder / "notes.txt").write_text("not a signal file")
    return [
        FileToLoad(path, partition_key_for(path.name), path.name)
        for path in sorted(folder.iterdir())
    ]


def raw_tables(con) -> dict[str, list]:
    return {name: con.execute(sql).fetchall() for name, sql in RAW_TABLES.items()}


@pytest.mark.parametrize("union_branches", [64, 2])
def test_a_run_of_files_loads_exactly_what_one_by_one_loads(
    tmp_path, landed, monkeypatch, union_branches
):
    """(With 2 branches a view, the run's stages are gathered by views of views.)"""
    import batch_platform.defs.signals.logic.raw_signal_load as raw_signal_load

    monkeypatch.setattr(raw_signal_load, "UNION_BRANCHES", union_branches)
    with warehouse.connect(tmp_path / "together") as together:
        progress = []
        loads = load_signal_files(together, landed, lambda n, load: progress.append(n))
        got = raw_tables(together)
        # A re-run replaces the same partitions: nothing doubles.
        load_signal_files(together, landed)
        assert raw_tables(together) == got
    with warehouse.connect(tmp_path / "one_by_one") as alone:
        for file in landed:
            load_signal_file(alone, file.path, file.partition_key, file.source_file)
        expected = raw_tables(alone)
    assert got == expected
    assert sorted(progress) == list(range(1, len(landed) + 1))
    assert [load.source_file for load in loads] == [file.source_file for file in landed]
    quarantined = {load.source_file for load in loads if load.quarantine_reason}
    assert quarantined == {"binary.csv", "empty.csv", "notes.txt"}
    rows = dict((name, rows) for name, rows, _ in got["partition ids"])
    assert rows[partition_key_for("a.csv")] == 500 and rows[partition_key_for("bad byte.csv")] == 21
    assert all(one_id for _, _, one_id in got["partition ids"])


def test_a_failed_write_leaves_none_of_the_runs_partitions(tmp_path, landed, monkeypatch):
    import batch_platform.defs.signals.logic.raw_signal_load as raw_signal_load

    def failing_write(con, loads, run_stage):
        con.execute("DELETE FROM raw.signal_files")  # a change inside the transaction …
        raise RuntimeError("the lake went away")  # … then a failure before the commit

    with warehouse.connect(tmp_path / "lake") as con:
        load_signal_files(con, landed[:2])
        before = raw_tables(con)
        monkeypatch.setattr(raw_signal_load, "_write_raw_partitions", failing_write)
        with pytest.raises(RuntimeError, match="went away"):
            load_signal_files(con, landed)
        assert raw_tables(con) == before
        # Nothing of the failed run is left in the process's database.
        assert not con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name IN ('memory', 'temp')"
        ).fetchall()
        assert not con.execute(
            "SELECT database_name FROM duckdb_databases() "
            "WHERE database_name LIKE 'run_raw_stage_%'"
        ).fetchall()


def test_a_csv_read_whole_is_staged_as_a_view_of_its_read_and_the_rest_are_copied(
    tmp_path, landed, monkeypatch
):
    """Several files: plain CSVs of one header are read together (a group), a file the group
    cannot number (rejected rows, blank rows, a reader error) is read alone; a CSV DuckDB's
    reader read whole is not copied again before the write; a file with rejected rows, the
    exact reader's, JSONL, Parquet and unreadable files are."""
    import batch_platform.defs.signals.logic.raw_signal_load as raw_signal_load

    write = raw_signal_load._write_raw_partitions
    seen = {}

    def looking_write(con, loads, run_stage):
        database = run_stage.split(".")[0]
        for kind in ("views", "tables"):
            seen[kind] = {
                name
                for (name,) in con.execute(
                    f"SELECT {kind[:-1]}_name FROM duckdb_{kind}() WHERE database_name = ? "
                    "AND NOT internal",
                    [database],
                ).fetchall()
            }
        return write(con, loads, run_stage)

    monkeypatch.setattr(raw_signal_load, "_write_raw_partitions", looking_write)
    names = [file.source_file for file in landed]
    with warehouse.connect(tmp_path / "lake") as con:
        loads = load_signal_files(con, landed)
        got = raw_tables(con)
    number = {name: i for i, name in enumerate(names)}
    viewed = {name for name in names if f"file_{number[name]}" in seen["views"]}
    assert viewed == {"g blanks [1]*.csv", "c.csv.gz", "f.csv"}
    assert {f"file_{number[name]}_read" for name in viewed} <= seen["tables"]
    # a.csv, bad byte.csv, g blanks and h.csv share the header: one group read, which numbers
    # a.csv only (h.csv's quoted line break stops the group's reader: read again without it).
    assert {"group_0_read", "group_0_members"} <= seen["tables"]
    assert not any(f"file_{number['a.csv']}" in names for names in seen.values())
    assert "run_stage" in seen["views"]
    fallback = {load.source_file for load in loads if load.used_fallback}
    assert "h.csv" in fallback
    rows = {key: count for key, count, _ in got["partition ids"]}
    assert rows[partition_key_for("g blanks [1]*.csv")] == 300
    assert rows[partition_key_for("h.csv")] == 7


@pytest.mark.parametrize("count", [1, 3])
def test_files_load_into_a_plain_duckdb_file_too(tmp_path, landed, count):
    """The benchmarks compare the lake with a DuckDB file: no catalog named "memory" there."""
    import duckdb

    from batch_platform.lib.warehouse import SCHEMA_FILES

    con = duckdb.connect(str(tmp_path / "plain.duckdb"))
    for schema in SCHEMA_FILES:
        con.execute(schema.read_text())
    try:
        loads = load_signal_files(con, landed[:count])
        rows = con.execute("SELECT count(*) FROM raw.signal_files").fetchall()
        assert rows == [(count,)] and len(loads) == count
    finally:
        con.close()
