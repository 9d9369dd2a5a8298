"""Firm records may name a client; a file without the column, or an empty cell, means '(none)'."""

import datetime as dt
import json

import pytest

from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.portfolio.logic.firm_records_load import load_firm_records
from batch_platform.defs.portfolio.logic.health_report import (
    ClientCounts,
    client_file_names,
    client_summary_lines,
)
from batch_platform.defs.portfolio.logic.registration_records import (
    FIRM_COLUMNS,
    NO_CLIENT,
    OPTIONAL_FIRM_COLUMNS,
    read_records,
)

MONTH = dt.date(2026, 11, 1)
ROW = ["TM-1", "DE", "NOVA", "Acme", "registered", "2015-01-01", "2016-01-01", "2030-01-01", "9"]


def _csv(path, header, rows):
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("header", "row", "client"),
    [
        ([*FIRM_COLUMNS, "Client "], [*ROW, " Borealis "], "Borealis"),
        ([*FIRM_COLUMNS, "client"], [*ROW, ""], None),
        (list(FIRM_COLUMNS), ROW, None),
    ],
)
def test_the_client_column_is_optional(tmp_path, header, row, client):
    path = _csv(tmp_path / "firm.csv", header, [row])
    (record,) = read_records(path, FIRM_COLUMNS, OPTIONAL_FIRM_COLUMNS)
    assert record.read_error is None
    assert record.values.get("client") == client
    assert record.values["registration_id"] == "TM-1"


def test_jsonl_firm_records_name_their_client(tmp_path):
    path = tmp_path / "firm.jsonl"
    values = dict(zip(FIRM_COLUMNS, ROW, strict=True))
    path.write_text(json.dumps(values | {"client": "Cobalt"}) + "\n" + json.dumps(values) + "\n")
    first, second = read_records(path, FIRM_COLUMNS, OPTIONAL_FIRM_COLUMNS)
    assert (first.values["client"], second.values["client"]) == ("Cobalt", None)


def test_loaded_firm_records_carry_the_client_or_none(tmp_path):
    with_clients = _csv(
        tmp_path / "a.csv",
        [*FIRM_COLUMNS, "client"],
        [[*ROW, "Acme"], ["TM-2", *ROW[1:], ""]],
    )
    without = _csv(tmp_path / "b.csv", list(FIRM_COLUMNS), [["TM-3", *ROW[1:]]])
    warehouse = WarehouseResource(database=str(tmp_path / "warehouse"))
    with warehouse.get_connection() as con:
        load = load_firm_records(con, MONTH, [with_clients, without])
        assert (load.valid, load.quarantined) == (3, 0)
        rows = con.execute(
            "SELECT registration_id, client FROM portfolio.firm_records ORDER BY 1"
        ).fetchall()
    assert rows == [("TM-1", "Acme"), ("TM-2", NO_CLIENT), ("TM-3", NO_CLIENT)]


def test_client_summary_lines_name_clients_with_findings_most_first():
    clients = [
        ClientCounts("acme", 10, 1, 0, 0, 0),
        ClientCounts("borealis", 12, 1, 2, 1, 1),
        ClientCounts("cobalt", 3, 0, 0, 0, 0),
    ]
    assert client_summary_lines(clients) == [
        "borealis: 1 status change, 2 renewals due, 1 mismatch, 1 fetch failure",
        "acme: 1 status change, 0 renewals due, 0 mismatches",
        "1 client with nothing to report",
    ]
    assert client_summary_lines(clients, limit=1)[1] == (
        "… and 1 more clients with findings (see the report)"
    )


def test_client_file_names_are_safe_and_distinct():
    names = client_file_names(["Acme Ltd", "acme-ltd", "../etc", "", "(none)"])
    assert names == {
        "": "client.md",
        "(none)": "none.md",
        "../etc": "etc.md",
        "Acme Ltd": "acme-ltd.md",
        "acme-ltd": "acme-ltd-2.md",
    }
