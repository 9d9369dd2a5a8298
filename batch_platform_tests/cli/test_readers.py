"""The existing read commands (`batch results`, `deliveries runs`, `portfolio status`) open the
warehouse read-only: they answer while another process holds a write open."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from batch_platform.cli import main
from batch_platform_tests.cli.conftest import hold_write_transaction

READERS = {
    "batch results": (["batch", "results", "some-batch"], "batch some-batch: pages 1 of 1"),
    "deliveries runs": (["deliveries", "runs"], "no sync runs yet"),
    "deliveries dead-letters": (["deliveries", "dead-letters"], "no dead letters"),
    "portfolio status": (
        ["portfolio", "status", "--month", "2026-11"],
        "no health report for this month yet",
    ),
}


def test_read_commands_answer_while_a_write_is_open(lake, capsys):
    lake.add_usage(3)
    context = multiprocessing.get_context("spawn")
    started, release = context.Event(), context.Event()
    writer = context.Process(
        target=hold_write_transaction, args=(str(lake.path), started, release), daemon=True
    )
    writer.start()
    try:
        assert started.wait(60), "the writer process did not start its transaction"
        for name, (argv, expected) in READERS.items():
            began = time.monotonic()
            assert main(argv) == 0, name
            elapsed = time.monotonic() - began
            assert expected in capsys.readouterr().out, name
            assert elapsed < 2, f"{name} took {elapsed:.2f} s while a write was open"
        assert writer.is_alive(), "the write committed before the readers answered"
        release.set()
        writer.join(60)
        assert writer.exitcode == 0
    finally:
        if writer.is_alive():
            writer.kill()


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["batch", "results", "some-batch"], 2),
        (["deliveries", "runs"], 1),
        (["portfolio", "status", "--month", "2026-11"], 1),
    ],
)
def test_read_commands_on_a_missing_warehouse_say_so_and_create_nothing(
    tmp_path, monkeypatch, capsys, argv, code
):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("BATCH_PLATFORM_WAREHOUSE", str(missing))
    assert main(argv) == code
    err = capsys.readouterr().err
    assert f"no warehouse at {missing}" in err and len(err.splitlines()) == 1
    assert not missing.exists()


def test_the_warehouse_option_of_read_commands_still_works(lake, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BATCH_PLATFORM_WAREHOUSE", str(tmp_path / "elsewhere"))
    assert main(["deliveries", "--warehouse", str(lake.path), "runs"]) == 0
    assert "no sync runs yet" in capsys.readouterr().out
    assert main(["batch", "results", "b", "--warehouse", str(lake.path), "--json"]) == 0
    assert capsys.readouterr().out.startswith('{"page": 1, "pages": 1, "total": 0')
