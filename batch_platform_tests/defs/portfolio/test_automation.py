"""The monthly schedule, the office-snapshot sensor and the job, as the daemon would run them."""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

from batch_platform.definitions import defs
from batch_platform.defs.common.resources import LandingResource
from batch_platform.defs.portfolio.logic.sample_portfolio import generate_portfolio_sample
from batch_platform.defs.portfolio.partitions import portfolio_months
from batch_platform.defs.portfolio.schedules import monthly_portfolio_health_schedule
from batch_platform.defs.portfolio.sensors import portfolio_office_snapshots_sensor
from batch_platform_tests.defs.portfolio.conftest import MONTH


def test_job_schedule_and_sensor_are_defined_and_running_by_default():
    definitions = defs()
    job = definitions.resolve_job_def("monthly_portfolio_health")
    assert job.tags["dagster/max_runtime"]
    schedule = definitions.resolve_schedule_def("monthly_portfolio_health_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 1 * *", "UTC")
    sensor = definitions.resolve_sensor_def("portfolio_office_snapshots_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    keys = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert keys == {
        "portfolio/portfolio_firm_records",
        "quarantine/quarantine_portfolio_firm_rows",
        "portfolio/portfolio_office_api_responses",
        "portfolio/portfolio_office_snapshot",
        "portfolio/portfolio_baseline",
        "portfolio/portfolio_status_changes",
        "portfolio/portfolio_renewals_due",
        "portfolio/portfolio_mismatches",
        "reports/reports_portfolio_health_report",
        "delivery/delivery_portfolio_records",
    }


def test_schedule_on_the_first_sweeps_the_month_it_starts():
    when = dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)
    context = dg.build_schedule_context(scheduled_execution_time=when)
    request = monthly_portfolio_health_schedule(context)
    assert request.partition_key == "2026-12-01"
    assert request.partition_key in portfolio_months.get_partition_keys(current_time=when)


def test_sensor_requests_the_months_of_new_or_changed_snapshots(tmp_path):
    sample = generate_portfolio_sample(tmp_path / "landing", MONTH, registrations=200)
    landing = LandingResource(landing_dir=str(tmp_path / "landing"), settle_seconds=0)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"landing": landing})
        result = portfolio_office_snapshots_sensor(context)
        assert sorted(r.partition_key for r in result.run_requests) == [
            "2026-10-01",
            "2026-11-01",
        ]
        assert all(r.job_name in (None, "monthly_portfolio_health") for r in result.run_requests)

        context = dg.build_sensor_context(
            instance=instance, resources={"landing": landing}, cursor=result.cursor
        )
        assert isinstance(portfolio_office_snapshots_sensor(context), dg.SkipReason)

        # A corrected export of last month lands: only last month is swept again.
        previous = sample.office_files[0]
        previous.write_text(previous.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        earlier = previous.stat().st_mtime - 100
        os.utime(previous, (earlier, earlier))
        context = dg.build_sensor_context(
            instance=instance, resources={"landing": landing}, cursor=result.cursor
        )
        again = portfolio_office_snapshots_sensor(context)
        assert [r.partition_key for r in again.run_requests] == ["2026-10-01"]


def test_sensor_ignores_partial_files(tmp_path):
    office = tmp_path / "landing" / "portfolio" / "office"
    office.mkdir(parents=True)
    (office / "export.csv.part").write_text("registration_id,as_of\n", encoding="utf-8")
    landing = LandingResource(landing_dir=str(tmp_path / "landing"), settle_seconds=0)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"landing": landing})
        assert isinstance(portfolio_office_snapshots_sensor(context), dg.SkipReason)
