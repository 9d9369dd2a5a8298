"""Which tables compaction works on and how, without Dagster or a lake."""

import pytest

from batch_platform.defs.lake.logic.compaction import (
    REWRITE_DELETED_FRACTION,
    Compaction,
    CompactionPlan,
    DataFile,
    TableFiles,
    compaction_plan,
    compaction_totals,
    tables_with_too_many_small_files,
)

SMALL = 1000


def table(*files: tuple[int, bool], name: str = "t") -> TableFiles:
    return TableFiles(
        "s",
        name,
        tuple(DataFile(f"{name}-{i}.parquet", size, d) for i, (size, d) in enumerate(files)),
    )


@pytest.mark.parametrize(
    ("files", "plan"),
    [
        ((), None),
        (((10, False),), None),  # one small file: nothing to merge it with
        (((5000, False), (6000, False)), None),  # large files only
        (((10, False), (5000, False)), None),  # one small file next to a large one
        (((10, False), (20, False)), CompactionPlan(rewrite_threshold=None)),
        (((10, True),), CompactionPlan(rewrite_threshold=0.0)),  # small, with deletes
        (((10, True), (5000, False)), CompactionPlan(rewrite_threshold=0.0)),
        (((10, False), (5000, True)), CompactionPlan(REWRITE_DELETED_FRACTION)),
        (((10, True), (5000, True)), CompactionPlan(REWRITE_DELETED_FRACTION)),
        (((999, False), (1000, False)), None),  # the limit itself is not small
    ],
)
def test_compaction_plan(files, plan):
    assert compaction_plan(table(*files), SMALL) == plan


def test_totals_and_rows():
    before = table((10, False), (20, False), (30, True))
    after = table((55, False))
    compaction = Compaction(before, after)
    assert compaction.row() == ("s.t", 3, 1, 60, 55)
    assert compaction_totals([compaction, compaction]) == {
        "tables_compacted": 2,
        "files_before": 6,
        "files_after": 2,
        "bytes_before": 120,
        "bytes_after": 110,
    }
    assert compaction_totals([])["tables_compacted"] == 0


def test_tables_with_too_many_small_files():
    tables = [
        table(*[(10, False)] * 3, name="three_small"),
        table(*[(10, False)] * 2, (5000, False), name="two_small"),
        table(*[(5000, False)] * 9, name="large"),
    ]
    assert tables_with_too_many_small_files(tables, SMALL, 2) == {"s.three_small": 3}
    assert tables_with_too_many_small_files(tables, SMALL, 3) == {}
    assert tables_with_too_many_small_files(tables, SMALL, 0) == {
        "s.three_small": 3,
        "s.two_small": 2,
    }
