"""Markdown tables: one escaping rule for reports and UI metadata."""

import pytest

from batch_platform.lib.markdown import markdown_cell, markdown_table


@pytest.mark.parametrize(
    ("value", "max_chars", "cell"),
    [
        (None, None, ""),
        (12, None, "12"),
        ("a|b", None, "a\\|b"),
        ("two\nlines", None, "two lines"),
        ("abcdef", 4, "abc…"),
        ("a|bcdef", 4, "a\\|b…"),
        ("abcd", 4, "abcd"),
    ],
)
def test_markdown_cell(value, max_chars, cell):
    assert markdown_cell(value, max_chars) == cell


def test_markdown_table_aligns_the_named_columns_right():
    table = markdown_table(["name", "n"], [("a|b", 1), (None, 22)], right_aligned={"n"})
    assert table.splitlines() == ["| name | n |", "|---|---:|", "| a\\|b | 1 |", "|  | 22 |"]


def test_markdown_table_without_rows_is_just_the_header():
    assert markdown_table(["x"], [], max_chars=3) == "| x |\n|---|"
