"""`batch-platform portfolio sample` and `status`."""

from __future__ import annotations

from batch_platform.cli import main
from batch_platform_tests.defs.portfolio.conftest import MONTH


def test_sample_then_status_of_a_swept_month(portfolio, monkeypatch, capsys):
    monkeypatch.setenv("BATCH_PLATFORM_LANDING_DIR", str(portfolio.landing))
    monkeypatch.setenv("BATCH_PLATFORM_WAREHOUSE", str(portfolio.warehouse))
    assert main(["portfolio", "sample", "--month", "2026-11", "--registrations", "300"]) == 0
    assert "wrote 300 registrations in 80 jurisdictions" in capsys.readouterr().out
    assert main(["portfolio", "status", "--month", "2026-11"]) == 1  # no warehouse yet
    (portfolio.landing / "portfolio" / "office" / "office_2026-11_part2.jsonl").unlink()
    assert portfolio.sweep(MONTH).success
    capsys.readouterr()
    assert main(["portfolio", "status", "--month", "2026-11"]) == 0
    out = capsys.readouterr().out
    assert "summary: 300 registrations:" in out and "150 fetch failures" in out
    assert "fetch states: failed 150, succeeded 150" in out
    assert "not in any office snapshot with as_of in 2026-11" in out
    assert "clients: 50\n" in out and "\n  client-01: " in out  # each has failed fetches
    assert "records sent: none (no portfolio destination)" in out
