"""Must show: a flaky receiver that fails a third of requests at random and is down for part of
the run ends with every changed record exactly once by idempotency key, and the audit tables
account for every attempt."""

import random
import threading
from collections import Counter

from batch_platform.defs.delivery.logic.receiver import Fault, Receiver
from batch_platform.defs.delivery.logic.sync import idempotency_key
from batch_platform_tests.defs.delivery.conftest import checks_of
from batch_platform_tests.defs.delivery.scores import SECRET

DAY, NEXT_DAY = "2026-05-04", "2026-05-05"


def test_flaky_receiver_gets_every_change_exactly_once(delivery):
    rng = random.Random(20261123)
    scores = {f"c{n:03d}@acme{n % 7}.io": round(rng.uniform(0, 100), 2) for n in range(300)}
    delivery.seed(DAY, scores)
    expected = {
        idempotency_key("crm", email, f"{DAY}/{score:.2f}")
        for email, score in scores.items()
        if score >= 5
    }
    slow: set[int] = set()
    refused_from = 12  # the receiver goes down at this request and comes back 0.6 s later
    state = {"went_down": False}

    def fault(number: int, records: list[dict]) -> Fault | None:
        if number == refused_from and not state["went_down"]:
            state["went_down"] = True
            threading.Thread(target=bounce, daemon=True).start()
            return Fault(503, headers={"Connection": "close"})
        roll = rng.random()
        if roll >= 1 / 3:
            return None
        kind = rng.choice(["500", "lost", "429", "slow"])
        if kind == "500":
            return Fault(500)
        if kind == "lost":  # applied, but the answer is an error: we resend, it dedupes
            return Fault(503, after_apply=True)
        if kind == "429":
            return Fault(429, headers={"Retry-After": "0"})
        slow.add(number)  # answered after the client's timeout, but applied
        return Fault(200, after_apply=True, delay=0.8)

    receiver = Receiver(SECRET, fault=fault)

    def bounce() -> None:
        receiver.down()
        threading.Event().wait(0.6)
        receiver.up()

    receiver.up()
    try:
        delivery.configure(
            receiver.url, page_size=20, timeout_seconds=0.5, sync={"dead_letter_after_runs": 50}
        )
        runs = []
        for _ in range(10):
            result = delivery.deliver(DAY, raise_on_error=False)
            runs.append(result)
            if not delivery.query("SELECT count(*) FROM delivery.pending")[0][0]:
                break
        assert delivery.query("SELECT count(*) FROM delivery.pending") == [(0,)]

        # Every changed record exactly once by idempotency key, one key per contact.
        assert set(receiver.records) == expected
        assert len({r["contact"] for r in receiver.records.values()}) == len(expected)
        assert all(r["score_version"] == f"{DAY}/{scores[r['contact']]:.2f}"
                   for r in receiver.records.values())  # fmt: skip
        assert state["went_down"]

        # The changelog accounts for every attempt. Every answer we logged is a request the
        # receiver answered in time, key by key and status by status …
        changelog = delivery.query(
            "SELECT run_id, idempotency_key, http_status, error, status "
            "FROM delivery.sync_changelog"
        )
        answered = Counter(
            (key, request.status)
            for request in receiver.log
            if request.number not in slow
            for key in request.keys
        )
        assert Counter((row[1], row[2]) for row in changelog if row[2] is not None) == answered
        # … every request it answered too late is one of our timeouts …
        timeouts = Counter(row[1] for row in changelog if "Timeout" in (row[3] or ""))
        late = Counter(key for r in receiver.log if r.number in slow for key in r.keys)
        assert late <= timeouts
        # … and the rest found no server (refused while down, or cut off as it went down).
        unreached = {row[3].split(":")[0] for row in changelog
                     if row[2] is None and "Timeout" not in row[3]}  # fmt: skip
        assert "ConnectError" in unreached
        assert unreached <= {"ConnectError", "RemoteProtocolError", "ReadError"}
        assert all(
            sum(1 for row in changelog if row[1] == key) >= seen
            for key, seen in receiver.seen.items()
        )
        # … and exactly one 'delivered' per key.
        delivered = Counter(row[1] for row in changelog if row[4] == "delivered")
        assert set(delivered) == expected and set(delivered.values()) == {1}

        # sync_runs adds up to the changelog, run by run.
        per_run = delivery.query(
            "SELECT r.run_id, r.attempted, r.succeeded, r.failed, r.rejected, r.status, "
            "(SELECT count(DISTINCT idempotency_key) FROM delivery.sync_changelog AS c "
            " WHERE c.run_id = r.run_id) FROM delivery.sync_runs AS r ORDER BY r.finished_at"
        )
        assert len(per_run) == len(runs) >= 2  # the outage left records for the next run
        for _, attempted, succeeded, failed, rejected, _, distinct in per_run:
            assert attempted == distinct == succeeded + failed + rejected
        assert sum(row[2] for row in per_run) == len(expected)
        assert per_run[-1][5] == "ok" and per_run[0][5] in ("partial", "ok")
        for result in runs:
            assert checks_of(result)["audit_balanced"] and checks_of(result)["key_unique"]
        assert not checks_of(runs[0])["success_rate"]  # the outage dropped it below 99.5%

        # A second nightly run with no score changes sends nothing. (A slow request answered
        # after its client gave up is logged when its answer goes out, possibly after the run
        # that sent it again: wait for every answer before counting.)
        delivery.seed(NEXT_DAY, scores)
        assert receiver.wait_answered()
        requests_before = len(receiver.log)
        quiet = delivery.deliver(NEXT_DAY)
        assert quiet.success and len(receiver.log) == requests_before
        assert delivery.query(
            "SELECT as_of_date::VARCHAR, queued, attempted, requests, status "
            "FROM delivery.sync_runs "
            "ORDER BY finished_at DESC LIMIT 1"
        ) == [(NEXT_DAY, 0, 0, 0, "idle")]
    finally:
        receiver.down()
