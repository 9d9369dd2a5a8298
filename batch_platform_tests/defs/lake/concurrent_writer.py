"""A writer process for the upkeep tests: replaces days of the table and adds new ones, one
commit each, until the stop file appears; prints what it wrote (and when each pair of writes
began and ended), as JSON."""

import datetime as dt
import json
import sys
import time
from pathlib import Path

from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.lib.warehouse import LakeInvalidated
from batch_platform_tests.defs.lake.conftest import FIRST_DAY, write_day

REPLACED_SCALE = 7
# Ten commits a second at most: far more than the platform's runs make, with gaps in between.
PAUSE_SECONDS = 0.1


def main(warehouse: str, stop_file: str, days: int) -> None:
    resource = WarehouseResource(database=warehouse)
    con = resource.open()
    replaced, added, times, reopened = [], [], [], 0

    def write(day: dt.date, **options) -> None:
        # As a run's step is retried on a fresh connection when DuckDB invalidates it (a rare
        # DuckLake internal error when a DELETE races the compaction; nothing is committed).
        nonlocal con, reopened
        for attempt in range(3):
            try:
                write_day(con, day, **options)
                return
            except LakeInvalidated:
                if attempt == 2:
                    raise
                reopened += 1
                con = resource.open()

    n = 0
    while not Path(stop_file).exists():
        replaced_day = FIRST_DAY + dt.timedelta(days=n % days)
        began = time.time()
        write(replaced_day, scale=REPLACED_SCALE)
        added_day = FIRST_DAY + dt.timedelta(days=days + n)
        write(added_day)
        replaced.append(replaced_day.isoformat())
        added.append(added_day.isoformat())
        # When its two commits began and ended: one waiting on the upkeep's lock shows too.
        times.append((began, time.time()))
        if n == 0:
            print("started", flush=True)
        n += 1
        time.sleep(PAUSE_SECONDS)
    con.close()
    print(
        json.dumps({"replaced": replaced, "added": added, "times": times, "reopened": reopened}),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
