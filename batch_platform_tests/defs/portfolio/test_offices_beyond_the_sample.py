"""A real portfolio is not the sample's 80 offices: international registrations (WO), offices
whose formats are known only in part (RU, VE, BD) or fully (AP, OA), and a code in no list
(XX) are all swept; what the sweep assumed is a warning in the report, never a quarantine; the
reference file teaches it an office's words; a new firm-records file re-runs the month."""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

from batch_platform.defs.common.resources import LandingResource
from batch_platform.defs.portfolio.sensors import portfolio_firm_records_sensor
from batch_platform.lib.reference_data import REFERENCE_FILE_ENV
from batch_platform_tests.defs.portfolio.conftest import MONTH

PREVIOUS = dt.date(2026, 10, 1)
FIRM_HEADER = (
    "registration_id,jurisdiction,mark,owner,status,filing_date,registration_date,"
    "next_renewal_date,classes\n"
)
OFFICE_HEADER = FIRM_HEADER.rstrip("\n") + ",as_of\n"
# registration, office, owner at the firm, next renewal (ISO), planted anomaly
REGISTRATIONS = [
    ("WO-1", "WO", "Acme SA", "2031-05-02", "status change: registered → cancelled"),
    ("WO-2", "WO", "Acme SA", "2029-07-14", None),
    ("RU-1", "RU", "Acme SA", "2026-12-15", "renewal due"),
    ("RU-2", "RU", "Acme SA", "2030-03-01", None),
    ("VE-1", "VE", "Acme SA", "2027-01-20", "renewal due"),
    ("BD-1", "BD", "Acme SA", "2028-09-09", None),
    ("AP-1", "AP", "Acme SA", "2027-01-05", "renewal due"),
    ("OA-1", "OA", "Acme SA", "2032-02-29", "owner mismatch"),
    ("XX-1", "XX", "Acme SA", "2030-06-30", "status change: registered → opposed"),
    ("XX-2", "XX", "Acme SA", "2026-12-20", "renewal due"),
]
# How each office writes dates and the status "registered" in its exports.
OFFICE_DATE_FORMAT = {"WO": "%d.%m.%Y", "RU": "%d.%m.%Y", "VE": "%d/%m/%Y", "BD": "%d/%m/%Y",
                      "AP": "%Y%m%d", "OA": "%d/%m/%Y", "XX": "%Y-%m-%d"}  # fmt: skip
OFFICE_REGISTERED = {"AP": "Registered", "OA": "enregistrée"}
NOVEMBER_STATUS = {"WO-1": "cancelled", "XX-1": "opposed"}
NOVEMBER_OWNER = {"OA-1": "Acme Holdings SA"}


def office_date(iso: str, office: str) -> str:
    return dt.date.fromisoformat(iso).strftime(OFFICE_DATE_FORMAT[office])


def land_portfolio(portfolio, registered_words: dict[str, str] | None = None) -> None:
    words = OFFICE_REGISTERED | (registered_words or {})
    firm = portfolio.landing / "portfolio" / "firm_records" / "firm.csv"
    firm.parent.mkdir(parents=True, exist_ok=True)
    firm.write_text(
        FIRM_HEADER
        + "".join(
            f"{rid},{office},MARK {rid},{owner},registered,2015-01-10,2016-02-20,{renewal},9;35\n"
            for rid, office, owner, renewal, _ in REGISTRATIONS
        ),
        encoding="utf-8",
    )
    office_dir = portfolio.landing / "portfolio" / "office"
    office_dir.mkdir(parents=True, exist_ok=True)
    for month in (PREVIOUS, MONTH):
        lines = []
        for rid, office, owner, renewal, _ in REGISTRATIONS:
            status = words.get(office, "registered")
            if month == MONTH:
                status = NOVEMBER_STATUS.get(rid, status)
                owner = NOVEMBER_OWNER.get(rid, owner)
            dates = [office_date(d, office) for d in ("2015-01-10", "2016-02-20", renewal)]
            as_of = office_date(month.replace(day=2).isoformat(), office)
            lines.append(f"{rid},{office},MARK {rid},{owner},{status},{','.join(dates)},9;35,"
                         f"{as_of}\n")  # fmt: skip
        (office_dir / f"office_{month:%Y_%m}.csv").write_text(
            OFFICE_HEADER + "".join(lines), encoding="utf-8"
        )


def test_every_office_is_swept_and_what_was_assumed_is_a_warning(portfolio):
    land_portfolio(portfolio)

    assert portfolio.sweep(PREVIOUS).success
    result = portfolio.sweep(MONTH)

    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    assert portfolio.query("SELECT count(*) FROM quarantine.portfolio_firm_rows") == [(0,)]
    assert portfolio.query(
        "SELECT fetch_state, count(*) FROM portfolio.office_snapshot WHERE month = ? GROUP BY 1",
        [MONTH],
    ) == [("succeeded", 10)]
    assert set(
        portfolio.query(
            "SELECT registration_id, previous_status, current_status FROM "
            "portfolio.status_changes WHERE month = ?",
            [MONTH],
        )
    ) == {("WO-1", "registered", "cancelled"), ("XX-1", "registered", "opposed")}
    assert set(
        portfolio.query(
            "SELECT registration_id, next_renewal_date, days_until, date_source "
            "FROM portfolio.renewals_due WHERE month = ?",
            [MONTH],
        )
    ) == {
        ("RU-1", dt.date(2026, 12, 15), 44, "office"),
        ("VE-1", dt.date(2027, 1, 20), 80, "office"),
        ("AP-1", dt.date(2027, 1, 5), 65, "office"),
        ("XX-2", dt.date(2026, 12, 20), 49, "office"),
    }
    # The firm's records still say registered where the office's status changed.
    assert portfolio.query(
        "SELECT registration_id, differing_fields FROM portfolio.mismatches WHERE month = ? "
        "ORDER BY registration_id",
        [MONTH],
    ) == [("OA-1", ["owner"]), ("WO-1", ["status"]), ("XX-1", ["status"])]

    report = (portfolio.reports_dir / "portfolio_health_2026-11.md").read_text(encoding="utf-8")
    assert (
        "10 registrations: 2 status changes, 4 renewals due, 3 mismatches, 0 fetch failures, "
        "8 swept with assumed formats" in report
    )
    section = report.split("## Registrations swept with assumed formats (warning)")[1]
    warned = {
        cells[1]: cells[4]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| registration")
        for cells in [[c.strip() for c in line.split("|")]]
    }
    no_words = "has no known status vocabulary: statuses as canonical words only"
    in_no_list = (
        "is in no list of offices (WIPO ST.3 or the reference file): dates read as ISO only, "
        "statuses as canonical words only"
    )
    assert warned == {
        "BD-1": f"BD {no_words}",
        "RU-1": f"RU {no_words}",
        "RU-2": f"RU {no_words}",
        "VE-1": f"VE {no_words}",
        "WO-1": f"WO {no_words}",
        "WO-2": f"WO {no_words}",
        "XX-1": f"XX {in_no_list}",
        "XX-2": f"XX {in_no_list}",
    }


def test_the_reference_file_teaches_the_sweep_an_offices_words(portfolio, monkeypatch):
    land_portfolio(portfolio, registered_words={"RU": "Действует"})
    assert portfolio.sweep(PREVIOUS).success
    assert portfolio.sweep(MONTH).success
    state, _, error, _ = portfolio.office_states(MONTH)["RU-1"]
    assert state == "failed"
    assert "status 'Действует' is not a canonical status, and RU has no known status" in error

    reference = portfolio.root / "reference.yaml"
    reference.write_text(
        "portfolio:\n"
        "  jurisdictions:\n"
        "    RU: {status_vocabulary: ru}\n"
        "  office_status_spellings:\n"
        "    ru: {Действует: registered, Прекратил действие: expired}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(REFERENCE_FILE_ENV, str(reference))
    assert portfolio.sweep(PREVIOUS).success
    assert portfolio.sweep(MONTH).success

    assert portfolio.office_states(MONTH)["RU-1"][0] == "succeeded"
    assert portfolio.query(
        "SELECT registration_id FROM portfolio.renewals_due WHERE month = ? AND "
        "jurisdiction = 'RU'",
        [MONTH],
    ) == [("RU-1",)]
    report = (portfolio.reports_dir / "portfolio_health_2026-11.md").read_text(encoding="utf-8")
    assert "| RU-1 |" not in report.split("swept with assumed formats (warning)")[1]


def test_a_new_or_changed_firm_records_file_reruns_the_current_month(tmp_path):
    firm_dir = tmp_path / "landing" / "portfolio" / "firm_records"
    firm_dir.mkdir(parents=True)
    (firm_dir / "firm.csv").write_text(FIRM_HEADER + "TM-1,DE,A,B,registered,,,,9\n", "utf-8")
    (firm_dir / "more.csv.part").write_text(FIRM_HEADER, "utf-8")
    landing = LandingResource(landing_dir=str(tmp_path / "landing"), settle_seconds=0)
    this_month = dt.datetime.now(dt.UTC).date().replace(day=1).isoformat()
    with dg.instance_for_test() as instance:

        def tick(cursor=None):
            context = dg.build_sensor_context(
                instance=instance, resources={"landing": landing}, cursor=cursor
            )
            return portfolio_firm_records_sensor(context)

        first = tick()
        (request,) = first.run_requests
        assert request.partition_key == this_month
        assert request.tags["batch_platform/trigger"] == "firm_records"
        assert isinstance(tick(first.cursor), dg.SkipReason)

        changed = firm_dir / "firm.csv"
        changed.write_text(changed.read_text("utf-8") + "TM-2,FR,C,D,registered,,,,9\n", "utf-8")
        earlier = changed.stat().st_mtime - 100
        os.utime(changed, (earlier, earlier))
        second = tick(first.cursor)
        (again,) = second.run_requests
        assert again.partition_key == this_month and again.run_key != request.run_key
