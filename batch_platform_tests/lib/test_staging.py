"""Staging areas: segments written whole, read in order, removed once written."""

import pyarrow as pa
import pytest

from batch_platform.lib.staging import StagingArea, partition_dir_name


def test_segments_are_read_in_the_order_written_and_removed_with_their_directory(tmp_path):
    area = StagingArea(tmp_path, "content", "batch.txt")
    first = area.write("results", pa.table({"url": ["a", "b"]}))
    second = area.write("results", pa.table({"url": ["c"]}))
    other = area.write("notes", pa.table({"url": ["x"]}))
    assert area.segments("results") == [first, second]
    assert area.segments() == sorted([first, second, other], key=lambda p: p.name)
    assert [t.column("url").to_pylist() for t in area.read("results")] == [["a", "b"], ["c"]]
    assert area.write("results", pa.table({"url": pa.array([], pa.string())})) is None
    area.remove([first, second])
    assert area.segments() == [other]
    area.remove([other])
    assert not area.directory.exists()


def test_a_write_that_died_midway_is_not_a_segment(tmp_path):
    area = StagingArea(tmp_path, "content", "batch.txt")
    area.directory.mkdir(parents=True)
    (area.directory / ".00000000000000000001-1-results.parquet.part").write_bytes(b"half")
    assert area.segments() == []
    area.discard_partials()
    assert list(area.directory.iterdir()) == []


@pytest.mark.parametrize(
    "key", ["../../etc", "a/b", "", "x" * 300, "名前.txt", ".hidden", "a\x00b", "a..b"]
)
def test_hostile_partition_keys_become_hashed_names_inside_the_root(tmp_path, key):
    name = partition_dir_name(key)
    assert name.startswith("key-") and "/" not in name
    area = StagingArea(tmp_path, "content", key)
    assert area.directory.parent == tmp_path / "content"


def test_distinct_keys_get_distinct_directories():
    assert partition_dir_name("a/b") != partition_dir_name("a_b")
    assert partition_dir_name("2026-11-01") == "2026-11-01"


def test_segments_under_a_directory_named_like_a_glob_are_read_as_themselves(tmp_path):
    """DuckDB expands ``*``, ``?`` and ``[`` in a path: the warehouse directory is the user's to
    name, so segments reach DuckDB as their open files' paths."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from batch_platform.lib.staging import readable_paths

    folder = tmp_path / "lake [1]*?"
    folder.mkdir()
    (tmp_path / "lake 1").mkdir()  # what the pattern "[1]" would match instead
    segments = []
    for number in range(3):
        segments.append(folder / f"{number}.parquet")
        pq.write_table(pa.table({"n": [number, number]}), segments[-1])
    pq.write_table(pa.table({"n": [99]}), tmp_path / "lake 1" / "0.parquet")
    with readable_paths(segments) as readable:
        rows = duckdb.execute("SELECT n FROM read_parquet($paths) ORDER BY n", {"paths": readable})
        assert rows.fetchall() == [(0,), (0,), (1,), (1,), (2,), (2,)]
