"""Fixed costs: one tiny file through raw → clean with its checks, and sensor ticks over 50,000
files: the tick that requests them, then, once they are history (older than the watch margin),
the tick that finds one new file among them and the idle ticks after it, with the cursor's size.
Run as ``python -m benchmarks.overhead WORKDIR``; prints one JSON object last."""

import json
import os
import statistics
import sys
import time
from pathlib import Path

from benchmarks._platform_home import prepare_platform_home

HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"
TINY_ROWS = 10
TINY_FILES = 5
SENSOR_FILES = 50_000
IDLE_TICKS = 5


def tiny_file(path: Path, number: int) -> None:
    rows = "".join(
        f"t{number}-{i},2026-01-05T10:00:{i:02d}Z,website,page_view,u{i}@tiny.io,,\n"
        for i in range(TINY_ROWS)
    )
    path.write_text(HEADER + rows)


def main(work: Path) -> dict:
    landing = prepare_platform_home(work)
    import dagster as dg

    from batch_platform.definitions import defs
    from batch_platform.defs.common.resources import LandingResource
    from batch_platform.defs.signals.sensors import signal_files_sensor
    from batch_platform.lib.keys import partition_key_for

    definitions = defs()
    instance = dg.DagsterInstance.get()
    ingest = definitions.resolve_job_def("signal_file_ingest")
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}

    # A run per tiny file, as the sensor requests for a file landing alone; the first warms up.
    run_seconds = []
    for number in range(TINY_FILES + 1):
        name = f"tiny_{number}.csv"
        tiny_file(landing / "signals" / name, number)
        key = partition_key_for(name)
        instance.add_dynamic_partitions("signal_files", [key])
        result = ingest.execute_in_process(run_config=quiet, instance=instance, partition_key=key)
        assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
        stats = instance.get_run_stats(result.run_id)
        if number:
            run_seconds.append(stats.end_time - stats.start_time)

    # Sensor ticks with 50,000 files waiting: the first ticks request them, the next finds none.
    sensor_dir = work / "sensor_landing"
    (sensor_dir / "signals").mkdir(parents=True)
    old = time.time() - 3600
    for number in range(SENSOR_FILES):
        path = sensor_dir / "signals" / f"small_{number:05d}.csv"
        path.write_text(HEADER)
        os.utime(path, (old, old))
    landing_resource = LandingResource(landing_dir=str(sensor_dir), settle_seconds=0)
    cursor, ticks, requested = None, [], 0
    while True:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"landing": landing_resource}
        )
        started = time.perf_counter()
        result = signal_files_sensor(context)
        ticks.append(time.perf_counter() - started)
        if isinstance(result, dg.SkipReason):
            break
        for request in result.dynamic_partitions_requests:
            instance.add_dynamic_partitions(
                request.partitions_def_name, list(request.partition_keys)
            )
        requested += len(result.run_requests)
        cursor = result.cursor
    # Later: the 50,000 are history, one more file lands, then nothing does.
    from batch_platform.lib.landing import WATCH_MARGIN_NS

    time.sleep(WATCH_MARGIN_NS / 1e9 + 1)
    (sensor_dir / "signals" / "one_more.csv").write_text(HEADER)

    def tick(cursor):
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"landing": landing_resource}
        )
        started = time.perf_counter()
        result = signal_files_sensor(context)
        return result, time.perf_counter() - started

    result, new_file_tick = tick(cursor)
    assert not isinstance(result, dg.SkipReason), "the new file was not requested"
    cursor = result.cursor
    idle_ticks = [tick(cursor)[1] for _ in range(IDLE_TICKS)]
    return {
        "tiny_file_rows": TINY_ROWS,
        "tiny_file_run_seconds": round(statistics.median(run_seconds), 2),
        "tiny_file_run_seconds_max": round(max(run_seconds), 2),
        "sensor_files": SENSOR_FILES,
        "sensor_runs_requested": requested,
        "sensor_first_tick_seconds": round(ticks[0], 3),
        "sensor_slowest_tick_seconds": round(max(ticks), 3),
        "sensor_idle_tick_seconds": round(ticks[-1], 3),
        "sensor_files_seen": SENSOR_FILES + 1,
        "sensor_new_file_tick_seconds": round(new_file_tick, 3),
        "sensor_history_idle_tick_seconds": round(statistics.median(idle_ticks), 3),
        "sensor_cursor_bytes": len(cursor),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
