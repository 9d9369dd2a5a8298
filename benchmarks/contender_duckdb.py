"""A fair contender: the platform's cleaning rules as plain DuckDB SQL, in memory, no Dagster.

``python -m benchmarks.contender_duckdb DATA_DIR [OUT_DIR]`` reads every ``*.csv`` of DATA_DIR
(landing order: by name) and writes three Parquet files to OUT_DIR (default: beside DATA_DIR):
``clean.parquet``, ``duplicates.parquet`` (each with the row it repeats) and
``quarantine.parquet`` (each with its reason and original values), every row pointed to by
``(source_file, source_line)``. The last line printed is JSON with the counts.

The rules cannot drift from the platform's: this script runs the platform's own statements
(``defs/signals/sql/stage_run_files.sql``, ``stage_typed_signals.sql``,
``stage_duplicate_signals.sql`` and the three ``select_*`` of the outputs) on the platform's
effective reference data, over a ``raw.signals`` view of the files. What it leaves out is what
the platform adds around the rules: persistence (raw rows and the lake), the checks, file
accounting, Dagster.

Nothing serialises the read: all files are read by one parallel ``read_csv`` into a temporary
table whose ``rowid`` is the insertion (file) order, and a row's line is its rowid minus the first
rowid of its file (one aggregate), less the all-blank rows before it in its file (rows that are
not data rows for the platform either; DuckDB itself skips empty lines). First-seen
de-duplication is the platform's aggregate (``min`` of file order and line per repeated key), not
a sorting window.

Out of scope (the platform handles them; this script stops with DuckDB's error instead): rows
DuckDB's reader rejects (wrong field count, invalid UTF-8), headers in another order or with extra
columns, gzip and JSONL files. With no firmographics, the enrichment columns are null.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import duckdb

from batch_platform.defs.signals.logic.signal_cleaning import (
    FUTURE_TOLERANCE,
    load_sql,
    register_reference_tables,
)
from batch_platform.defs.signals.logic.signal_file_format import CONTRACT_COLUMNS
from batch_platform.defs.signals.logic.signal_reference import signal_reference
from benchmarks.child import Steps


# The outputs and the platform's statements (defs/signals/sql/) that select them.
def statement(name: str, files: list[Path]) -> str:
    """The platform's statement ``name``, with the run's partition ids where it prunes by them."""
    ids = ", ".join(str(i) for i in range(1, len(files) + 1))
    return load_sql(name).replace("{run_partition_ids}", ids)


OUTPUTS = {
    "clean": "select_clean_signals",
    "duplicates": "select_signal_duplicates",
    "quarantine": "select_quarantined_rows",
}


def signal_files(data_dir: Path) -> list[Path]:
    """The CSV files in landing order (by name, as the benchmark lands them)."""
    return sorted(data_dir.glob("*.csv"))


def check_header(path: Path) -> None:
    with path.open(encoding="utf-8-sig") as handle:
        header = [c.strip().lower() for c in handle.readline().rstrip("\r\n").split(",")]
    if header != list(CONTRACT_COLUMNS):
        raise SystemExit(f"{path.name}: header {header} is not {list(CONTRACT_COLUMNS)}")


def stage_raw_signals(con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    """``raw.signal_files`` and a ``raw.signals`` view over one parallel read of every file."""
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA clean; CREATE SCHEMA quarantine")
    con.execute(
        "CREATE TABLE raw.signal_files AS SELECT unnest($names) AS partition_key, "
        "unnest($names) AS source_file, unnest($paths) AS path, unnest($modified) AS modified_at, "
        "generate_subscripts($names, 1)::BIGINT AS partition_id",
        {
            "names": [f.name for f in files],
            "paths": [str(f) for f in files],
            "modified": [
                dt.datetime.fromtimestamp(f.stat().st_mtime, dt.UTC).replace(tzinfo=None)
                for f in files
            ],
        },
    )
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in CONTRACT_COLUMNS) + "}"
    blank = " AND ".join(f"coalesce(trim({c}), '') = ''" for c in CONTRACT_COLUMNS)
    # One parallel read; with insertion order preserved (DuckDB's default), rowid is the row's
    # place in the list of files, then in its file.
    con.execute(
        f"CREATE TEMP TABLE csv_read AS SELECT filename, *, ({blank}) AS is_blank "
        f"FROM read_csv($paths, header = true, auto_detect = false, columns = {columns}, "
        "delim = ',', quote = '\"', escape = '\"', filename = true)",
        {"paths": [str(f) for f in files]},
    )
    con.execute(
        "CREATE TEMP TABLE file_starts AS SELECT filename, min(rowid) AS first_rowid "
        "FROM csv_read GROUP BY filename"
    )
    blanks = con.execute("SELECT count(*) FROM csv_read WHERE is_blank").fetchone()[0]
    values = ", ".join(f"r.{c}" for c in CONTRACT_COLUMNS)
    line = "r.rowid - s.first_rowid + 1"
    join_blanks = ""
    if blanks:
        # All-blank rows are not data rows: lines step down past each (few; an as-of join on
        # the running count of blank rows of the file).
        con.execute(
            "CREATE TEMP TABLE blank_rows AS SELECT filename, rowid AS blank_rowid, "
            "row_number() OVER (PARTITION BY filename ORDER BY rowid) AS blanks_so_far "
            "FROM csv_read WHERE is_blank"
        )
        join_blanks = (
            "ASOF LEFT JOIN blank_rows AS b ON b.filename = r.filename AND r.rowid > b.blank_rowid"
        )
        line += " - coalesce(b.blanks_so_far, 0)"
    con.execute(
        f"""
        CREATE VIEW raw.signals AS
        SELECT f.partition_key, f.partition_id, f.source_file, {line} AS source_line, {values},
            NULL::VARCHAR AS extra_columns, NULL::VARCHAR AS parse_error
        FROM csv_read AS r
        JOIN file_starts AS s USING (filename)
        JOIN raw.signal_files AS f ON f.path = r.filename
        {join_blanks}
        WHERE NOT r.is_blank
        """
    )
    # Integer partition ids (the files' landing order), for statements that prune by them.
    con.execute(
        "CREATE TABLE raw.signal_partitions AS SELECT partition_key, partition_id "
        "FROM raw.signal_files"
    )
    # Nothing kept before this run, no firmographics: the platform's statements read both.
    con.execute(
        "CREATE TABLE clean.signals (partition_key VARCHAR, partition_id BIGINT, "
        "source_file VARCHAR, source_line BIGINT, event_key VARCHAR, event_hash BIGINT)"
    )
    con.execute(
        "CREATE TEMP TABLE history_keys (event_key VARCHAR, event_hash BIGINT, "
        "source_file VARCHAR, source_line BIGINT)"
    )
    con.execute(
        "CREATE TABLE clean.firmographics (domain VARCHAR, company_name VARCHAR, "
        "industry VARCHAR, employee_count BIGINT, country VARCHAR)"
    )


def main(data_dir: str, out_dir: str | None = None) -> dict:
    steps = Steps()
    files = signal_files(Path(data_dir))
    for path in files:
        check_header(path)
    out = Path(out_dir) if out_dir else Path(data_dir).parent / "out_duckdb"
    out.mkdir(parents=True, exist_ok=True)
    reference = signal_reference()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    stage_raw_signals(con, files)
    steps("read")
    register_reference_tables(con, reference)
    con.execute(
        load_sql("stage_run_files"),
        {"partition_keys": [f.name for f in files], "future_tolerance": FUTURE_TOLERANCE},
    )
    con.execute(
        statement("stage_typed_signals", files),
        {
            "quarantine_unknown_event_types": reference.unknown_event_types == "quarantine",
            "quarantine_unknown_sources": reference.unknown_sources == "quarantine",
        },
    )
    steps("type")
    con.execute(statement("stage_duplicate_signals", files))
    steps("deduplicate")
    counts = {}
    for name, select in OUTPUTS.items():
        target = out / f"{name}.parquet"
        # The format of the platform's lake files (snappy, Parquet version 2: LAKE_OPTIONS).
        con.execute(
            f"COPY ({statement(select, files)}) TO '{target}' "
            "(FORMAT parquet, COMPRESSION snappy, PARQUET_VERSION V2)"
        )
        counts[name] = con.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0]
    con.close()
    steps("write")
    return {
        "cleaned": counts["clean"],
        "duplicates": counts["duplicates"],
        "quarantined": counts["quarantine"],
        "steps": steps.seconds,
        "out": str(out),
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:3])))
