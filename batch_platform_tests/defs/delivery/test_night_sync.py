"""A sync larger than one run's page budget continues in further runs the same night.

Each run is what the daemon would launch: the ``score_delivery`` asset materialized for the day,
then ``score_delivery_continuation_sensor`` shown that run's success; its run request (the same
day, tagged as continuing the run before) is the next run, until the sensor declines. The
sensor's clock starts at 02:30 New York time on the morning after the scored day (scoring ran
at 02:00) and moves with the time the runs really take.
"""

import datetime as dt
import time
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType

from batch_platform.definitions import defs
from batch_platform.defs.delivery import sensors
from batch_platform.defs.delivery.assets import CONTINUES_TAG, ROUND_TAG, delivered_scores
from batch_platform.defs.delivery.logic.receiver import Receiver
from batch_platform.defs.delivery.sensors import score_delivery_continuation_sensor
from batch_platform.defs.signals.partitions import TIMEZONE
from batch_platform_tests.defs.delivery.scores import SECRET

# Changed contacts for a first sync: a score of 10 to 99 each, all tiers, none delivered yet.
SEED_SQL = """
INSERT INTO scores.lead_scores BY NAME
SELECT
    $day::DATE AS as_of_date,
    'contact' || i || '@account' || (i % 997) || '.example.com' AS email,
    'account' || (i % 997) || '.example.com' AS account_domain,
    (i % 90) + 10.0 AS behaviour_score, 0.0 AS fit_score, (i % 90) + 10.0 AS score,
    CASE WHEN i % 90 + 10 >= 75 THEN 'A' WHEN i % 90 + 10 >= 50 THEN 'B'
         WHEN i % 90 + 10 >= 25 THEN 'C' ELSE 'D' END AS tier,
    i % 90 + 10 >= 50 AS is_mql,
    1 AS events_in_lookback
FROM range($contacts) AS t(i)
"""


@pytest.fixture
def night(monkeypatch) -> str:
    """The day just ended in New York; the sensor's clock reads 02:30 the next morning plus the
    time that really passes."""
    day = dt.datetime.now(ZoneInfo(TIMEZONE)).date() - dt.timedelta(days=1)
    scoring_done = dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(2, 30), tzinfo=ZoneInfo(TIMEZONE)
    )
    started = time.monotonic()
    monkeypatch.setattr(
        sensors,
        "current_time",
        lambda: scoring_done + dt.timedelta(seconds=time.monotonic() - started),
    )
    return day.isoformat()


def sync_the_night(delivery, day: str) -> tuple[list[dg.ExecuteInProcessResult], str]:
    """Runs until the continuation sensor declines; returns the runs and why it declined."""
    runs, tags = [], {}
    while True:
        result = dg.materialize(
            [delivered_scores],
            partition_key=day,
            resources=delivery.resources,
            instance=delivery.platform.instance,
            tags=tags,
        )
        runs.append(result)
        instance = delivery.platform.instance
        run = instance.get_run_by_id(result.run_id)
        context = dg.build_run_status_sensor_context(
            sensor_name="score_delivery_continuation_sensor",
            dagster_event=instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_SUCCESS)[
                0
            ].dagster_event,
            dagster_instance=instance,
            dagster_run=run,
        )
        answer = score_delivery_continuation_sensor(context)
        if isinstance(answer, dg.SkipReason):
            return runs, answer.skip_message
        assert (answer.partition_key, answer.run_key) == (day, f"continue:{run.run_id}")
        tags = answer.tags


def test_a_sync_beyond_the_page_budget_continues_until_nothing_is_pending(delivery, night):
    day = night
    with delivery.platform.resources["duckdb"].get_connection() as con:
        con.execute(SEED_SQL, {"day": day, "contacts": 2_300})
    with Receiver(SECRET) as receiver:
        delivery.configure(receiver.url, page_size=100, max_pages_per_run=5)
        runs, declined = sync_the_night(delivery, day)
    assert len(runs) == 5  # 500 records a run
    assert declined == (
        f"{day}: the sync does not continue: nothing left that the page budget held back"
    )
    assert len(receiver.records) == 2_300 and set(receiver.applied.values()) == {1}
    tags = [delivery.platform.instance.get_run_by_id(r.run_id).tags for r in runs]
    assert [t.get(ROUND_TAG) for t in tags] == [None, "2", "3", "4", "5"]
    assert [t.get(CONTINUES_TAG) for t in tags[1:]] == [r.run_id for r in runs[:-1]]
    sync_runs = delivery.query(
        "SELECT queued, attempted, budget_spent, pending_after FROM delivery.sync_runs "
        "ORDER BY started_at"
    )
    # Only the first run looks for changes; the others send what is pending.
    assert sync_runs == [
        (2_300, 500, True, 1_800), (0, 500, True, 1_300), (0, 500, True, 800),
        (0, 500, True, 300), (0, 300, False, 0),
    ]  # fmt: skip
    assert delivery.query("SELECT count(*) FROM delivery.pending") == [(0,)]


def test_a_first_sync_of_100000_contacts_is_delivered_within_the_night(delivery, night):
    """The issue's case: 100,000 changed contacts, the default budget (20 pages of 500 a run),
    the reference receiver on 127.0.0.1; the night's window is 02:00 to 08:00."""
    day = night
    with delivery.platform.resources["duckdb"].get_connection() as con:
        con.execute(SEED_SQL, {"day": day, "contacts": 100_000})
    with Receiver(SECRET) as receiver:
        delivery.configure(receiver.url)
        started = time.perf_counter()
        runs, declined = sync_the_night(delivery, day)
        seconds = time.perf_counter() - started
    assert "nothing left that the page budget held back" in declined
    assert len(runs) == 10
    assert len(receiver.records) == 100_000 and set(receiver.applied.values()) == {1}
    assert delivery.query("SELECT count(*), sum(succeeded) FROM delivery.sync_runs") == [
        (10, 100_000)
    ]
    assert delivery.query("SELECT count(*) FROM delivery.pending") == [(0,)]
    # Measured here: 10 runs, every attempt audited, in 15 to 18 s on 2 shared cores; the
    # night's window (scoring at 02:00 to 08:00) is 6 hours.
    print(f"100,000 contacts in {len(runs)} runs, {seconds:.1f} s")
    assert seconds < 6 * 3600


def test_the_continuation_sensor_runs_by_default():
    sensor = defs().resolve_sensor_def("score_delivery_continuation_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
