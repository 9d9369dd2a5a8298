"""Firmographics files → clean.firmographics: the newest file (by mtime) wins per domain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from batch_platform.defs.signals.logic.signal_file_format import normalise_column_name
from batch_platform.lib.landing import LandedFileError, open_landed_file
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import (
    quote_ident,
    write_partition,
)

load_sql = SqlFolder.of_domain(__file__)
FIRMOGRAPHIC_COLUMNS = ("domain", "company_name", "industry", "employee_count", "country")


@dataclass(frozen=True)
class FirmographicsLoad:
    domains: int
    files_read: int
    files_skipped: dict[str, str]


def load_firmographics(
    con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]]
) -> FirmographicsLoad:
    """Rebuild clean.firmographics from every file; the newest file (by mtime) wins per domain."""
    ordered = sorted(files, key=lambda f: (f[0].stat().st_mtime, f[1]), reverse=True)
    con.execute(load_sql("create_firmographics_stage"))
    skipped: dict[str, str] = {}
    for rank, (path, name) in enumerate(ordered, start=1):
        try:
            with open_landed_file(path) as opened:
                con.execute(load_sql("stage_firmographics_read"), {"path": str(opened.path)})
            present = {
                normalise_column_name(row[0]): quote_ident(row[0])
                for row in con.execute("DESCRIBE firmographics_read").fetchall()
            }
            missing = [c for c in FIRMOGRAPHIC_COLUMNS if c not in present]
            if missing:
                skipped[name] = f"missing columns {', '.join(missing)}"
                continue
            # The columns are named by the file's header, so this statement is built here.
            columns = ", ".join(present[c] for c in FIRMOGRAPHIC_COLUMNS)
            con.execute(
                f"INSERT INTO firmographics_stage SELECT {columns}, $name AS source_file, "
                "rowid + 1 AS source_line, $rank AS file_rank FROM firmographics_read",
                {"name": name, "rank": rank},
            )
        except (duckdb.Error, LandedFileError) as error:
            skipped[name] = str(error).splitlines()[0]
    domains = write_partition(con, "clean.firmographics", {}, load_sql("select_firmographics"))
    con.execute("DROP TABLE IF EXISTS firmographics_read")
    con.execute("DROP TABLE IF EXISTS firmographics_stage")
    return FirmographicsLoad(domains, len(ordered) - len(skipped), skipped)
