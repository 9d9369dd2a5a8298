"""Unit tests for ``defs/signals/logic/signal_csv_group``: plain CSV files of one header read
in one pass, each file's rows numbered as the one-file reader numbers them, and every file the
group cannot number exactly left to be read alone."""

from __future__ import annotations

import gzip

import pytest

from batch_platform.defs.signals.logic import signal_csv_group
from batch_platform.defs.signals.logic.raw_signal_load import FileToLoad, load_signal_files
from batch_platform.defs.signals.logic.signal_csv_group import (
    csv_group_header,
    group_stage_select,
    members_rows,
    plan_groups,
    read_csv_group,
)
from batch_platform.lib import warehouse
from batch_platform.lib.keys import partition_key_for

HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"
COLUMNS = tuple(HEADER.strip().split(","))


def rows(prefix: str, count: int) -> str:
    return "".join(
        f"{prefix}{i},2026-01-05T10:00:{i % 60:02d}Z,website,page_view,{prefix}{i}@x.io,,\n"
        for i in range(count)
    )


@pytest.fixture
def con():
    connection = warehouse.connect(":memory:")
    connection.execute("ATTACH ':memory:' AS shared")
    yield connection
    connection.close()


def test_headers_group_plain_csv_files_only(tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + rows("a", 2))
    (tmp_path / "b.csv.gz").write_bytes(gzip.compress((HEADER + rows("b", 2)).encode()))
    (tmp_path / "c.jsonl").write_text('{"email": "c@x.io"}\n')
    (tmp_path / "d.csv").write_bytes(b"\x00\x01binary")
    (tmp_path / "e.csv").write_text("event_id,occurred_at\ne1,2026-01-05\n")  # misses columns
    (tmp_path / "f.csv").write_text(HEADER.replace("\n", ",region\n") + "f1,,,,,,,emea\n")
    assert csv_group_header(tmp_path / "a.csv", "a.csv") == COLUMNS
    for name in ("b.csv.gz", "c.jsonl", "d.csv", "e.csv", "missing.csv"):
        assert csv_group_header(tmp_path / name, name) is None, name
    assert csv_group_header(tmp_path / "f.csv", "f.csv") == (*COLUMNS, "region")


def test_groups_are_by_header_in_run_order_bounded_and_never_single(monkeypatch):
    monkeypatch.setattr(signal_csv_group, "MAX_GROUP_FILES", 3)
    other = (*COLUMNS, "region")
    headers = {0: COLUMNS, 1: other, 2: COLUMNS, 3: None, 4: COLUMNS, 5: COLUMNS, 6: COLUMNS}
    assert plan_groups(headers) == [[0, 2, 4], [5, 6]]
    assert plan_groups({0: COLUMNS, 1: other}) == []


def test_a_group_numbers_each_files_rows_from_one(con, tmp_path):
    paths = []
    for name, count in (("a.csv", 3), ("b [1]*.csv", 2), ("c.csv", 4)):
        path = tmp_path / name
        path.write_text(HEADER + rows(name[0], count))
        paths.append(path)
    grouped = read_csv_group(
        con, "shared.main.g_read", [(n * 10, p) for n, p in enumerate(paths)], COLUMNS
    )
    assert [(f.number, f.file_index, f.data_rows) for f in grouped] == [
        (0, 0, 3), (10, 1, 2), (20, 2, 4),
    ]  # fmt: skip
    con.execute(
        f"CREATE TABLE shared.main.g_members AS SELECT * FROM (VALUES {members_rows(grouped)}) "
        "AS m(file_index, file_number, first_rowid)"
    )
    staged = con.execute(
        "SELECT file_number, source_line, event_id, email, extra_columns, parse_error FROM ("
        + group_stage_select("shared.main.g_read", "shared.main.g_members", COLUMNS)
        + ") ORDER BY 1, 2"
    ).fetchall()
    assert [(n, line, event) for n, line, event, *_ in staged] == [
        (0, 1, "a0"), (0, 2, "a1"), (0, 3, "a2"), (10, 1, "b0"), (10, 2, "b1"),
        (20, 1, "c0"), (20, 2, "c1"), (20, 3, "c2"), (20, 4, "c3"),
    ]  # fmt: skip
    assert all(extra is None and error is None for *_, extra, error in staged)


def test_files_the_group_cannot_number_are_left_to_be_read_alone(con, tmp_path):
    files = {
        "a.csv": HEADER + rows("a", 3),
        "bad byte.csv": (HEADER + rows("b", 2)).replace("b1,", "b\udcff1,"),
        "blank row.csv": HEADER + rows("c", 1) + ",,,,,,\n" + rows("d", 1),
        "header only.csv": HEADER,
        "quoted break.csv": HEADER
        + 'q1,2026-01-05T10:00:00Z,website,page_view,q@x.io,,"{""a"":\n1}"\n'
        "q2,2026-01-05T10:00:00Z,website,page_view,q2@x.io,,,extra\n",
        "z.csv": HEADER + rows("z", 2),
    }
    members = []
    for number, (name, text) in enumerate(files.items()):
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        members.append((number, path))
    members.append((99, tmp_path / "gone.csv"))
    grouped = read_csv_group(con, "shared.main.g_read", members, COLUMNS)
    assert [(f.number, f.data_rows) for f in grouped] == [(0, 3), (5, 2)]


def test_a_reader_error_naming_no_file_gives_up_the_group(con, tmp_path, monkeypatch):
    paths = []
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(HEADER + rows(name[0], 2))
        paths.append((len(paths), tmp_path / name))
    monkeypatch.setattr(
        signal_csv_group, "csv_read_select", lambda *args, **kwargs: "SELECT no_such_column"
    )
    assert read_csv_group(con, "shared.main.g_read", paths, COLUMNS) == []
    assert not con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'shared'"
    ).fetchall()


def test_a_run_of_many_files_reads_them_in_one_pass_and_loads_what_one_by_one_loads(tmp_path):
    folder = tmp_path / "landing"
    folder.mkdir()
    for number in range(12):
        text = HEADER + rows(f"f{number}-", 50 + number)
        if number == 5:
            text += ",,,,,,\n" + rows("blank-after", 1)  # read alone: a blank row
        if number == 8:
            text = text.replace("website", "web\udcffsite", 1)  # read alone: an invalid byte
        (folder / f"signals {number:02d}.csv").write_bytes(text.encode("utf-8", "surrogateescape"))
    (folder / "other header.csv").write_text(HEADER.replace("\n", ",x\n") + "o1,,,,,,,1\n")
    landed = [
        FileToLoad(path, partition_key_for(path.name), path.name)
        for path in sorted(folder.iterdir())
    ]
    query = (
        "SELECT source_file, source_line, event_id, occurred_at, source, email, extra_columns, "
        "parse_error FROM raw.signals ORDER BY source_file, source_line"
    )
    with warehouse.connect(tmp_path / "together") as together:
        loads = load_signal_files(together, landed)
        got = together.execute(query).fetchall()
        files = together.execute(
            "SELECT source_file, data_rows, file_format FROM raw.signal_files ORDER BY 1"
        ).fetchall()
    with warehouse.connect(tmp_path / "alone") as alone:
        for file in landed:
            load_signal_files(alone, [file])
        assert got == alone.execute(query).fetchall()
        assert (
            files
            == alone.execute(
                "SELECT source_file, data_rows, file_format FROM raw.signal_files ORDER BY 1"
            ).fetchall()
        )
    assert [load.source_file for load in loads] == [file.source_file for file in landed]
    assert sum(load.data_rows for load in loads) == len(got) == sum(50 + n for n in range(12)) + 2
    assert not any(load.quarantine_reason for load in loads)
