"""The Dagster UI in a real headless Chromium: lineage, an asset's checks, Materialize."""

import datetime as dt
import shutil
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from batch_platform_tests.conftest import require_or_skip
from batch_platform_tests.e2e.runs import wait_for_job_run, wait_for_runs

# One worker runs this module, so its dev server starts once (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_browser")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium as root in a sandbox, and no calls home on a machine without network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LINEAGE_ASSETS = [
    "landing_signal_files",
    "raw_signals",
    "raw_signal_files",
    "quarantine_signal_files",
    "clean_signals",
    "clean_signal_duplicates",
    "quarantine_signal_rows",
    "clean_firmographics",
    "clean_web_sessions",
    "scores_lead_scores",
    "scores_account_health",
    "reports_file_accounting",
]


@pytest.fixture(scope="module")
def page():
    if not Path(CHROMIUM).exists():
        require_or_skip("Chromium is not installed (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(60_000)
        yield page
        browser.close()


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    dismiss_community_dialog(page)


def dismiss_community_dialog(page) -> None:
    """A fresh instance greets its first visitor with a newsletter dialog, a little late."""
    try:
        page.get_by_role("button", name="Skip").click(timeout=4000)
    except PlaywrightTimeoutError:
        pass


@pytest.fixture(scope="module")
def landed(dev_server):
    """Signals for yesterday (New York) ingested through the sensor."""
    yesterday = dt.datetime.now(ZoneInfo("America/New_York")).date() - dt.timedelta(days=1)
    noon = dt.datetime.combine(yesterday, dt.time(12), ZoneInfo("America/New_York"))
    rows = "".join(
        f"ui-{n},{(noon + dt.timedelta(minutes=n)).isoformat()},website,"
        f"{'demo_request' if n % 5 == 0 else 'page_view'},user{n % 7}@ui-test.io\n"
        for n in range(60)
    )
    firms = dev_server.landing / "firmographics" / "firms.csv"
    firms.write_text(
        "domain,company_name,industry,employee_count,country\nui-test.io,UI Test,software,250,US\n"
    )
    (firms.parent / "firms.csv.done").touch()
    path = dev_server.landing / "signals" / "ui_signals.csv"
    path.write_text("event_id,occurred_at,source,event_type,email\n" + rows)
    (path.parent / "ui_signals.csv.done").touch()
    run = wait_for_runs(dev_server, ["ui_signals.csv"])["ui_signals.csv"]
    assert run["status"] == "SUCCESS"
    assert wait_for_job_run(dev_server, "firmographics_refresh")["status"] == "SUCCESS"
    return yesterday.isoformat()


def test_lineage_graph_shows_the_pipeline(dev_server, landed, page):
    # With several groups the graph starts collapsed to one box per group: open the signals one,
    # on a screen that shows the whole group (boxes outside the view are not drawn).
    page.set_viewport_size({"width": 3600, "height": 2800})
    open_page(page, f"{dev_server.url}/asset-groups/signals?expanded=global%40global%3Asignals")
    try:
        page.get_by_text("scores_lead_scores").first.wait_for()
    except PlaywrightTimeoutError:
        page.screenshot(path=str(ARTIFACTS / "lineage_timeout.png"))
        raise
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "lineage.png"))
    # A box shows its key's last part whole (up to 31 characters); zoomed further out, the UI
    # shortens names past 18 in the middle ("clean_…_duplicates"), keeping the layer in front.
    labels = page.locator("[class*='assetName']").all_inner_texts()
    page.set_viewport_size({"width": 1600, "height": 1000})
    for asset in LINEAGE_ASSETS:
        assert [label for label in labels if shows(label, asset)], (asset, labels)


def shows(label: str, name: str) -> bool:
    """Whether a box labelled ``label`` names the asset ``name``, whole or shortened."""
    if label == name:
        return True
    head, _, tail = label.partition("…")
    return bool(tail) and name.startswith(head) and name.endswith(tail)


def test_ingested_asset_shows_its_passing_checks(dev_server, landed, page):
    open_page(page, f"{dev_server.url}/assets/clean/clean_signals?view=checks")
    page.get_by_text("row_accounting").first.wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "clean_signals_checks.png"))
    body = page.inner_text("body")
    for check in ["row_accounting", "event_key_unique", "no_null_keys"]:
        assert check in body
    assert "Failed" not in body


def test_materialize_a_partition_from_the_ui(dev_server, landed, page):
    open_page(page, f"{dev_server.url}/assets/scores/scores_lead_scores")
    page.get_by_role("button", name="Materialize").first.click()
    # Before any model is trained the UI warns that scores_lead_score_models was never
    # materialized; lead scores run on the rules then, so the user confirms.
    warning = page.get_by_role("dialog").filter(has_text="Are you sure?")
    try:
        warning.get_by_role("button", name="Confirm").click(timeout=10_000)
    except PlaywrightTimeoutError:
        pass  # no warning: a model exists
    dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    dialog.get_by_text("Latest", exact=True).click()
    dialog.get_by_text("1 partition").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "materialize_dialog.png"))
    dialog.get_by_role("button", name="Launch").click()
    wait_for_runs(dev_server, [landed], timeout=240)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        open_page(page, f"{dev_server.url}/assets/scores/scores_lead_scores?view=checks")
        body = page.inner_text("body")
        if "key_unique" in body and "Succeeded" in body:
            break
        page.wait_for_timeout(2000)
    page.screenshot(path=str(ARTIFACTS / "lead_scores_checks.png"))
    assert "key_unique" in body and "score_valid" in body
    open_page(page, f"{dev_server.url}/assets/scores/scores_lead_scores")
    page.get_by_text("Latest materialization").first.wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "lead_scores_materialized.png"))
    assert landed in page.inner_text("body")
