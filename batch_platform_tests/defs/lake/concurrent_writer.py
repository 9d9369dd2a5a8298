"""A writer process for the upkeep tests: replaces days of the table and adds new ones, one
commit each, until the stop file appears; prints what it wrote, as JSON."""

import datetime as dt
import json
import sys
import time
from pathlib import Path

from batch_platform.defs.common.resources import WarehouseResource
from batch_platform_tests.defs.lake.conftest import FIRST_DAY, write_day

REPLACED_SCALE = 7
# Ten commits a second at most: far more than the platform's runs make, with gaps in between.
PAUSE_SECONDS = 0.1


def main(warehouse: str, stop_file: str, days: int) -> None:
    con = WarehouseResource(database=warehouse).open()
    replaced, added, times = [], [], []
    n = 0
    while not Path(stop_file).exists():
        replaced_day = FIRST_DAY + dt.timedelta(days=n % days)
        write_day(con, replaced_day, scale=REPLACED_SCALE)
        added_day = FIRST_DAY + dt.timedelta(days=days + n)
        write_day(con, added_day)
        replaced.append(replaced_day.isoformat())
        added.append(added_day.isoformat())
        times.append(time.time())
        if n == 0:
            print("started", flush=True)
        n += 1
        time.sleep(PAUSE_SECONDS)
    con.close()
    print(json.dumps({"replaced": replaced, "added": added, "times": times}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
