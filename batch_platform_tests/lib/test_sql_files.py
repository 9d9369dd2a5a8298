"""SqlFolder: a domain's sql/ folder found from any module inside the domain."""

import pytest

from batch_platform.lib.sql_files import SqlFolder


def test_of_domain_finds_the_sql_folder_above_a_module(tmp_path):
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "select_things.sql").write_text("SELECT 1\n")
    module = tmp_path / "logic" / "things.py"
    module.parent.mkdir()
    load_sql = SqlFolder.of_domain(str(module))
    assert load_sql.folder == (tmp_path / "sql").resolve()
    assert load_sql("select_things") == "SELECT 1\n"


def test_a_statement_is_read_once(tmp_path):
    path = tmp_path / "select_things.sql"
    path.write_text("SELECT 1\n")
    load_sql = SqlFolder(tmp_path)
    load_sql("select_things")
    path.write_text("SELECT 2\n")
    assert load_sql("select_things") == "SELECT 1\n"


def test_missing_folder_and_statement_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no sql/ folder above"):
        SqlFolder.of_domain(str(tmp_path / "module.py"))
    with pytest.raises(FileNotFoundError, match=r"select_nothing\.sql"):
        SqlFolder(tmp_path)("select_nothing")


def test_every_domain_has_its_sql_folder():
    from batch_platform.defs.delivery.logic import sync

    assert sync.load_sql.folder.parts[-2:] == ("delivery", "sql")
