"""Office date formats and status vocabularies mapped to the canonical forms."""

from __future__ import annotations

import datetime as dt

import pytest

from batch_platform.defs.portfolio.logic.office_vocabulary import (
    CANONICAL_STATUSES,
    NormaliseError,
    canonical_status,
    format_date,
    jurisdictions,
    office_statuses,
    parse_classes,
    parse_date,
)
from batch_platform.defs.portfolio.logic.registration_records import normalise_record, read_records

DAY = dt.date(2027, 3, 5)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2027-03-05", "DE"),
        (" 2027-03-05 ", "US"),
        ("03/05/2027", "US"),
        ("05/03/2027", "FR"),
        ("05.03.2027", "DE"),
        ("05 Mar 2027", "GB"),
        ("2027/03/05", "JP"),
        ("20270305", "KR"),
        ("2027.03.05.", "HU"),
        ("05-03-2027", "BX"),
    ],
)
def test_office_dates_parse_to_the_same_day(value, code):
    assert parse_date(value, code) == DAY


@pytest.mark.parametrize(
    ("value", "code"),
    [("31.02.2019", "DE"), ("13/25/2027", "US"), ("yesterday", "GB"), ("2027-3-5x", "JP")],
)
def test_unparseable_dates_name_field_value_and_office(value, code):
    with pytest.raises(NormaliseError, match=rf"filing_date {value!r} is not a date.*{code}"):
        parse_date(value, code, "filing_date")


def test_empty_dates_are_missing_not_errors():
    assert parse_date("", "US") is None and parse_date(None, "US") is None


@pytest.mark.parametrize(
    ("value", "code", "canonical"),
    [
        ("Registered", "US", "registered"),
        ("  LIVE ", "GB", "registered"),
        ("eingetragen", "DE", "registered"),
        ("in  Prüfung", "AT", "pending"),
        ("radiée", "FR", "cancelled"),
        ("en trámite", "MX", "pending"),
        ("indeferida", "BR", "refused"),
        ("REG", "JP", "registered"),
        ("opp", "CN", "opposed"),
        ("Expired", "DE", "expired"),  # canonical names work for every office
    ],
)
def test_statuses_map_to_the_canonical_set(value, code, canonical):
    assert canonical_status(value, code) == canonical


def test_an_unknown_status_names_the_office():
    with pytest.raises(NormaliseError, match="'eingetragen' is not in the US vocabulary"):
        canonical_status("eingetragen", "US")


def test_reference_data_lists_every_st3_office_and_knows_the_sample_offices_fully():
    offices = jurisdictions()
    assert len(offices) == 221
    regional_and_international = {"WO", "IB", "EM", "BX", "OA", "AP", "EA", "GC", "EP"}
    assert regional_and_international | {"RU", "VE", "BD", "BE", "NL", "LU"} <= set(offices)
    # The 80 offices the sample uses come first: their date formats and words are known.
    for code in list(offices)[:80]:
        assert offices[code].date_formats and offices[code].vocabulary, code
        for status in CANONICAL_STATUSES:
            assert office_statuses(code, status), (code, status)
    for code in offices:
        assert parse_date(format_date(DAY, code), code) == DAY


def test_an_office_in_no_list_is_read_with_iso_dates_and_canonical_words():
    record = normalise_record(
        {
            "registration_id": "XX-1",
            "jurisdiction": " xx ",
            "status": "Registered",
            "filing_date": "2015-01-10",
            "next_renewal_date": "05.03.2027",
            "classes": "9",
        },
        office=False,
    )
    assert (record.jurisdiction, record.status) == ("XX", "registered")
    assert record.problems == [
        "next_renewal_date '05.03.2027' is not a date in ISO or any format known for XX"
    ]


def test_an_office_without_a_known_vocabulary_takes_canonical_words_only():
    assert canonical_status("expired", "RU") == "expired"
    assert parse_date("05.03.2027", "RU") == DAY
    with pytest.raises(NormaliseError, match="'Действует' is not a canonical status, and RU"):
        canonical_status("Действует", "RU")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Germany", "jurisdiction 'Germany' is not a two-letter office code (WIPO ST.3)"),
        ("", "jurisdiction is missing"),
        (None, "jurisdiction is missing"),
    ],
)
def test_a_value_that_is_no_office_code_is_a_problem(value, problem):
    record = normalise_record({"registration_id": "A", "jurisdiction": value}, office=False)
    assert record.problems == [problem]


@pytest.mark.parametrize(
    ("value", "classes"),
    [("9;35;42", [9, 35, 42]), ("42; 9 ;9", [9, 42]), ("", []), (None, []), ([3, "25"], [3, 25])],
)
def test_classes(value, classes):
    assert parse_classes(value) == classes


def test_bad_class_is_an_error():
    with pytest.raises(NormaliseError, match="'46' is not a Nice class"):
        parse_classes("9;46")


def test_normalise_lists_every_problem_of_a_row():
    record = normalise_record(
        {
            "registration_id": "",
            "jurisdiction": "de",
            "status": "zombie",
            "filing_date": "31.02.2019",
            "next_renewal_date": "01.01.2030",
            "classes": "9",
        },
        office=False,
    )
    assert record.jurisdiction == "DE" and record.next_renewal_date == dt.date(2030, 1, 1)
    assert record.problems == [
        "registration_id is missing",
        "status 'zombie' is not in the DE vocabulary",
        "filing_date '31.02.2019' is not a date in ISO or the DE format",
    ]


def test_reading_messy_files_keeps_every_row_with_its_line(tmp_path):
    csv_file = tmp_path / "firm.csv"
    csv_file.write_text(
        "\ufeff Registration_ID ,jurisdiction,status\nA,US,registered\n\nB,US\nC,US,x,extra\n",
        encoding="utf-8",
    )
    rows = list(read_records(csv_file, ("registration_id", "jurisdiction", "status")))
    assert [(r.source_line, r.values.get("registration_id"), r.read_error) for r in rows] == [
        (1, "A", None),
        (2, "B", "row has 2 fields, header has 3"),
        (3, "C", "row has 4 fields, header has 3"),
    ]
    jsonl = tmp_path / "office.jsonl"
    jsonl.write_text('{"registration_id": "A", "classes": [9, 35]}\n{oops\n[1]\n', "utf-8")
    rows = list(read_records(jsonl, ("registration_id", "classes")))
    assert [(r.values.get("classes"), r.read_error) for r in rows] == [
        ("9;35", None),
        (None, "invalid JSON: Expecting property name enclosed in double quotes"),
        (None, "JSON line is not an object"),
    ]
    missing = tmp_path / "no_status.csv"
    missing.write_text("registration_id,jurisdiction\nA,US\n", encoding="utf-8")
    (row,) = read_records(missing, ("registration_id", "jurisdiction", "status"))
    assert row.read_error == "file has no column status"
