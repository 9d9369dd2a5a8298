"""Per-domain throughput measurements for `make bench`.

Each module here is run as ``python -m benchmarks.throughput.<name> WORKDIR`` in its own process,
does its domain's real work at a fixed scale against servers on 127.0.0.1 only, and prints one
JSON object as its last line of output:

    {"domain": "delivery", "work": "score changes sent to a receiver on 127.0.0.1",
     "items": 50000, "unit": "records", "seconds": 6.1, "target_per_second": 5000}

`benchmarks/run.py` adds items/second, peak RSS and whether the target is met, and prints all
of them in one table under the signals figures.
"""
