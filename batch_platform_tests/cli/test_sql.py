"""`batch-platform sql`: read-only queries on a real lake, in every format, also mid-write."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import time

import duckdb
import pytest

from batch_platform.cli import main
from batch_platform.lib.warehouse import atomically, current_snapshot, open_warehouse
from batch_platform_tests.cli.conftest import USAGE, hold_write_transaction

COUNT = f"SELECT count(*) AS n FROM {USAGE}"


def sql(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["sql", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_table_format_is_aligned_and_cuts_wide_cells(lake, capsys):
    lake.add_usage(3)
    code, out, err = sql(
        capsys,
        f"SELECT usage_date, account_domain, product_events, repeat('x', 100) AS wide, "
        f"NULL AS nothing FROM {USAGE} ORDER BY usage_date",
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["usage_date", "account_domain", "product_events", "wide", "nothing"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == ["2026-01-01", "acme.io", "0", "x" * 39 + "…", "NULL"]
    # every row lines up with the header; numbers are right-aligned under theirs
    events_end = lines[0].index("product_events") + len("product_events")
    assert all(line[events_end - 1].isdigit() for line in lines[2:5])
    assert lines[-1] == "(3 rows)"


def test_csv_format_has_a_header_and_quotes_properly(lake, capsys):
    lake.add_usage(2)
    code, out, _ = sql(
        capsys,
        f"SELECT usage_date, 'a, \"b\"' AS text, logins FROM {USAGE} ORDER BY usage_date",
        "--format",
        "csv",
    )
    assert code == 0
    assert out.splitlines()[0] == "usage_date,text,logins"
    assert list(csv.DictReader(io.StringIO(out))) == [
        {"usage_date": "2026-01-01", "text": 'a, "b"', "logins": "0"},
        {"usage_date": "2026-01-02", "text": 'a, "b"', "logins": "3"},
    ]


def test_json_format_is_a_list_of_row_objects(lake, capsys):
    lake.add_usage(2)
    code, out, _ = sql(
        capsys,
        f"SELECT usage_date, active_users, (active_users / 4)::DECIMAL(10, 2) AS share, "
        f"NULL AS nothing FROM {USAGE} ORDER BY usage_date",
        "--format",
        "json",
    )
    assert code == 0
    assert json.loads(out) == [
        {"usage_date": "2026-01-01", "active_users": 0, "share": "0.00", "nothing": None},
        {"usage_date": "2026-01-02", "active_users": 2, "share": "0.50", "nothing": None},
    ]
    code, out, _ = sql(capsys, f"{COUNT} WHERE false", "--format", "json")
    assert json.loads(out) == [{"n": 0}]
    code, out, _ = sql(capsys, f"SELECT * FROM {USAGE} WHERE false", "--format", "json")
    assert json.loads(out) == []


def test_at_snapshot_reads_an_earlier_state(lake, capsys):
    first = lake.add_usage(2)
    lake.add_usage(5, domain="later.io")
    assert json.loads(sql(capsys, COUNT, "--format", "json")[1]) == [{"n": 7}]
    code, out, _ = sql(capsys, COUNT, "--format", "json", "--at-snapshot", str(first))
    assert code == 0
    assert json.loads(out) == [{"n": 2}]

    code, _, err = sql(capsys, COUNT, "--at-snapshot", "9999")
    assert code == 1
    assert "No snapshot found at version 9999" in err and "--snapshots" in err


def test_snapshots_lists_what_each_snapshot_changed(lake, capsys):
    first = lake.add_usage(1)
    second = lake.add_usage(1, domain="b.io")
    code, out, _ = sql(capsys, "--snapshots", "--format", "json")
    assert code == 0
    listed = json.loads(out)
    assert [row["snapshot"] for row in listed[:2]] == [second, first]  # newest first
    assert listed[0]["changes"] == f"inserted into {USAGE}"
    assert main(["warehouse", "snapshots", "--limit", "1"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["snapshot", "time_utc", "changes", "message"]
    assert table[2].split()[0] == str(second) and table[-1] == "(1 row)"


@pytest.mark.parametrize(
    "statement",
    [
        f"INSERT INTO {USAGE} VALUES ('2026-02-01', 'x.io', 1, 1, 1, 1)",
        f"DELETE FROM {USAGE}",
        "CREATE TABLE clean.mine AS SELECT 1 AS a",
        "DROP TABLE clean.signals",
        # a write reached through a function: refused by the read-only attach itself
        "CALL ducklake_expire_snapshots(current_database(), versions => [0])",
    ],
)
def test_a_write_statement_is_refused_as_read_only(lake, capsys, statement):
    lake.add_usage(2)
    code, out, err = sql(capsys, statement)
    assert code == 1 and out == ""
    assert err.startswith("error: batch-platform sql is read-only")
    assert len(err.splitlines()) == 1
    assert lake.query(COUNT) == [(2,)]
    assert lake.query("SELECT count(*) FROM ducklake_snapshots(current_database())")[0][0] > 1


def test_one_statement_at_a_time_and_errors_on_one_line(lake, capsys):
    code, _, err = sql(capsys, f"{COUNT}; DELETE FROM {USAGE}")
    assert code == 1 and err == "error: one statement at a time (2 given)\n"
    code, out, err = sql(capsys, "SELECT * FROM clean.no_such_table")
    assert code == 1 and out == ""
    assert err.startswith("error: Catalog Error: Table with name no_such_table does not exist")
    assert len(err.splitlines()) == 1
    code, _, err = sql(capsys, "SELEC 1")
    assert code == 1 and "syntax error" in err and len(err.splitlines()) == 1


def test_a_missing_warehouse_is_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BATCH_PLATFORM_WAREHOUSE", str(tmp_path / "nowhere"))
    code, _, err = sql(capsys, "SELECT 1")
    assert code == 1
    assert (
        err
        == f"error: no warehouse at {tmp_path / 'nowhere'}: run the platform (make demo) first\n"
    )
    assert not (tmp_path / "nowhere").exists()  # reading creates nothing


def test_the_warehouse_option_overrides_the_environment(lake, tmp_path, monkeypatch, capsys):
    lake.add_usage(4)
    monkeypatch.setenv("BATCH_PLATFORM_WAREHOUSE", str(tmp_path / "elsewhere"))
    code, out, _ = sql(capsys, COUNT, "--format", "csv", "--warehouse", str(lake.path))
    assert (code, out) == (0, "n\n4\n")


def test_sql_answers_while_another_process_holds_a_write_transaction(lake, capsys):
    lake.add_usage(10)
    context = multiprocessing.get_context("spawn")
    started, release = context.Event(), context.Event()
    writer = context.Process(
        target=hold_write_transaction, args=(str(lake.path), started, release), daemon=True
    )
    writer.start()
    try:
        assert started.wait(60), "the writer process did not start its transaction"
        for _ in range(2):
            began = time.monotonic()
            code, out, _ = sql(capsys, COUNT, "--format", "json")
            elapsed = time.monotonic() - began
            assert code == 0
            assert json.loads(out) == [{"n": 10}]  # the open transaction is not seen
            assert elapsed < 2, f"sql took {elapsed:.2f} s while a write was open"
        assert writer.is_alive(), "the write committed before sql answered: nothing proven"
        release.set()
        writer.join(60)
        assert writer.exitcode == 0
    finally:
        if writer.is_alive():
            writer.kill()
    code, out, _ = sql(capsys, COUNT, "--format", "json")
    assert json.loads(out) == [{"n": 100010}]  # and its commit is, on the next statement


def test_sql_snapshots_and_export_on_the_postgres_catalog(
    lake_catalog, tmp_path, monkeypatch, capsys
):
    """Production: the catalog in Postgres, named by the environment as the platform reads it."""
    monkeypatch.setenv("BATCH_PLATFORM_WAREHOUSE", str(tmp_path / "unused"))
    monkeypatch.setenv("BATCH_PLATFORM_DUCKLAKE_DATA_PATH", str(tmp_path / "lake_data"))
    con = open_warehouse()
    insert = f"INSERT INTO {USAGE} SELECT DATE '2026-03-01' + i::INTEGER, 'pg.io', i, i, i, i "
    atomically(con, lambda: con.execute(insert + "FROM range(5) AS t(i)"))
    first = current_snapshot(con)
    atomically(con, lambda: con.execute(insert.replace("03-01", "04-01") + "FROM range(2) t(i)"))
    con.close()

    assert sql(capsys, COUNT, "--format", "csv") == (0, "n\n7\n", "")
    assert sql(capsys, COUNT, "--format", "csv", "--at-snapshot", str(first))[1] == "n\n5\n"
    code, out, _ = sql(capsys, "--snapshots", "--format", "json")
    assert code == 0 and json.loads(out)[0]["changes"] == f"inserted into {USAGE}"
    code, _, err = sql(capsys, f"DELETE FROM {USAGE}")
    assert code == 1 and "read-only" in err and lake_catalog not in err

    out_file = tmp_path / "out.duckdb"
    assert main(["warehouse", "export", str(out_file)]) == 0
    assert lake_catalog not in capsys.readouterr().out
    with duckdb.connect(str(out_file), read_only=True) as exported:
        assert exported.execute(COUNT).fetchall() == [(7,)]


def test_every_command_is_found_by_its_own_module():
    """A call imports only its command's module: the table must name every command's module."""
    import argparse

    from batch_platform.cli import COMMAND_MODULES, build_parser

    full = build_parser()
    commands = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == set(COMMAND_MODULES)
    for command, module in COMMAND_MODULES.items():
        only = build_parser(module)
        sub = next(a for a in only._actions if isinstance(a, argparse._SubParsersAction))
        assert command in sub.choices
