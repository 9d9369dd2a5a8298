"""Office API results are staged normalised; a staged success is what a re-run skips."""

import datetime as dt

from batch_platform.defs.portfolio.logic.office_api import OfficeFetchResult
from batch_platform.defs.portfolio.logic.office_data import api_result_rows
from batch_platform.defs.portfolio.logic.office_responses import (
    RESPONSES_KIND,
    staged_registrations,
    staged_successes,
)
from batch_platform.lib.staging import StagingArea

FETCHED_AT = dt.datetime(2026, 11, 2, 9, 30, 15, 123456)
RECORD = {
    "mark": "ÄLPHA",
    "owner": "Acme",
    "status": "eingetragen",
    "next_renewal_date": "01.01.2030",
    "classes": [9, 42],
}


def _result(registration_id: str, succeeded: bool, record: dict | None = None) -> OfficeFetchResult:
    return OfficeFetchResult(
        registration_id=registration_id,
        jurisdiction="DE",
        priority=3,
        succeeded=succeeded,
        record=(record or RECORD) if succeeded else None,
        attempts=1 if succeeded else 4,
        error=None if succeeded else "HTTP 503 Service Unavailable",
        retryable=not succeeded,
        fetched_at=FETCHED_AT,
    )


def test_a_segment_holds_the_results_normalised(tmp_path):
    staging = StagingArea(tmp_path, "portfolio", "2026-11-01")
    staging.write(RESPONSES_KIND, api_result_rows([_result("TM-1", True), _result("TM-2", False)]))
    (table,) = staging.read(RESPONSES_KIND)
    rows = {row.pop("registration_id"): row for row in table.to_pylist()}
    assert rows["TM-1"] == {
        "jurisdiction": "DE",
        "source": "api",
        "source_line": None,
        "fetched_at": FETCHED_AT,
        "attempts": 1,
        "error": None,
        "retryable": False,
        "mark": "ÄLPHA",
        "owner": "Acme",
        "office_status": "eingetragen",
        "status": "registered",
        "filing_date": None,
        "registration_date": None,
        "next_renewal_date": dt.date(2030, 1, 1),
        "classes": [9, 42],
        "as_of": dt.date(2026, 11, 2),  # the office gave none: the day it answered
    }
    assert rows["TM-2"]["error"] == "HTTP 503 Service Unavailable"
    assert (rows["TM-2"]["attempts"], rows["TM-2"]["retryable"]) == (4, True)


def test_only_usable_answers_count_as_staged_successes(tmp_path):
    staging = StagingArea(tmp_path, "portfolio", "2026-11-01")
    assert staged_successes(staging) == set() and staged_registrations(staging) == set()
    unusable = _result("TM-3", True, RECORD | {"status": "verschollen"})
    staging.write(RESPONSES_KIND, api_result_rows([_result("TM-1", True), _result("TM-2", False)]))
    staging.write(RESPONSES_KIND, api_result_rows([unusable, _result("TM-4", True)]))
    assert staged_successes(staging) == {"TM-1", "TM-4"}
    assert staged_registrations(staging) == {"TM-1", "TM-2", "TM-3", "TM-4"}
