"""Loading the project checks the reference file: `dg check defs` fails on a bad one, naming
the file, the entry and the rule; a good one loads, with one asset per reference set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from batch_platform.definitions import defs
from batch_platform.defs.reference.assets import KEYS_BY_SET
from batch_platform.defs.reference.keys import JURISDICTIONS, OFFICE_STATUS_SPELLINGS
from batch_platform.lib.reference_data import REFERENCE_FILE_ENV

ROOT = Path(__file__).resolve().parents[3]


def dg_check_defs(reference_file: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "VIRTUAL_ENV": str(Path(sys.executable).parents[1]),
        REFERENCE_FILE_ENV: str(reference_file),
    }
    return subprocess.run(
        [str(Path(sys.executable).with_name("dg")), "check", "defs"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_bad_reference_file_fails_dg_check_defs_naming_file_entry_and_rule(tmp_path):
    bad = tmp_path / "reference.yaml"
    bad.write_text(
        "signals:\n"
        "  event_type_spellings:\n"
        "    LinkedIn Message: form_sbumit\n"
        "portfolio:\n"
        "  jurisdictions:\n"
        "    RU: {date_formats: ['%d.%m']}\n",
        encoding="utf-8",
    )
    result = dg_check_defs(bad)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"reference data in {bad} ($BATCH_PLATFORM_REFERENCE)" in output
    assert (
        "portfolio.jurisdictions.RU.date_formats[0]: '%d.%m' needs one year (%Y or %y), one "
        "month (%m or %b) and one day (%d)" in output
    )


def test_a_good_reference_file_loads_with_an_asset_per_reference_set(tmp_path, monkeypatch):
    good = tmp_path / "reference.yaml"
    good.write_text("signals:\n  event_type_spellings:\n    call: meeting_booked\n", "utf-8")
    monkeypatch.setenv(REFERENCE_FILE_ENV, str(good))
    graph = defs().resolve_asset_graph()
    for key in KEYS_BY_SET.values():
        node = graph.get(key)
        assert node.is_observable and node.group_name == "reference", key
        assert node.owners and node.kinds == {"yaml"} and node.description, key
    readers = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if KEYS_BY_SET["event_type_spellings"] in graph.get(key).parent_keys
    }
    assert readers == {"clean/clean_signals", "clean/clean_signal_duplicates",
                       "quarantine/quarantine_signal_rows"}  # fmt: skip


def test_every_reader_of_a_reference_set_depends_on_it():
    """A changed set marks its readers stale in the lineage graph."""
    graph = defs().resolve_asset_graph()
    for key in [
        "portfolio/portfolio_firm_records",
        "portfolio/portfolio_office_api_responses",
        "portfolio/portfolio_office_snapshot",
    ]:
        parents = graph.get(dg.AssetKey.from_user_string(key)).parent_keys
        assert {JURISDICTIONS, OFFICE_STATUS_SPELLINGS} <= parents, key
