"""KeyUniqueCheck: rows beyond the first of any key, within an optional filter."""

import dagster as dg
import duckdb
import pytest

from batch_platform.defs.common.checks import KeyUniqueCheck

KEY = dg.AssetKey(["clean", "clean_things"])


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA clean")
    connection.execute(
        "CREATE TABLE clean.things AS SELECT * FROM (VALUES "
        "('d1', 'a', 1), ('d1', 'a', 2), ('d1', 'a', 3), ('d1', 'b', 4), ('d2', 'a', 5)"
        ") AS t(day, name, n)"
    )
    yield connection
    connection.close()


def check(con, key_columns, where="true", params=None) -> dg.AssetCheckResult:
    declared = KeyUniqueCheck(KEY, "clean.things", tuple(key_columns), "key", where=where)
    return declared.evaluate(con, params)


def test_counts_the_rows_beyond_the_first_of_each_key(con):
    result = check(con, ["day", "name"])
    assert (result.passed, result.metadata["failing_rows"].value) == (False, 2)
    assert result.description == "2 rows repeating a key (day, name) of clean.things"
    assert result.check_name == "key_unique"


def test_a_unique_key_passes(con):
    result = check(con, ["n"])
    assert result.passed and result.description == "no rows repeating a key (n) of clean.things"


def test_where_limits_the_check_to_a_partition(con):
    assert check(con, ["name"], where="day = $day", params={"day": "d2"}).passed
    assert not check(con, ["name"], where="day = $day", params={"day": "d1"}).passed


def test_a_bad_table_name_is_refused(con):
    with pytest.raises(ValueError, match=r"schema\.table"):
        KeyUniqueCheck(KEY, "things; --", ("n",), "key").evaluate(con)


def test_spec_names_the_check_key_unique():
    spec = KeyUniqueCheck(KEY, "clean.things", ("day", "name"), "One row per (day, name).").spec()
    assert (spec.name, spec.asset_key, spec.description) == (
        "key_unique",
        KEY,
        "One row per (day, name).",
    )
