"""HMAC signatures: what we send verifies; anything altered, stale, replayed or malformed does
not, and the verifier answers False rather than raising."""

import base64
import hashlib
import hmac
import re
import time
from pathlib import Path

import pytest

from batch_platform.lib.signing import (
    ReplayGuard,
    SignatureError,
    SigningConfigError,
    check_secret_env_name,
    is_message_id,
    message_id_for,
    new_message_id,
    request_id,
    resolve_secret,
    sign,
    signature_is_valid,
    signed_headers,
    verify_request,
    verify_signature,
)

SECRET = "s3cret"


def test_signature_round_trip():
    body = b'{"records":[]}'
    header = sign(SECRET, body, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert verify_signature(SECRET, header, body, now=1_700_000_100) == 1_700_000_000


@pytest.mark.parametrize(
    ("header", "body", "now", "message"),
    [
        (None, b"x", 1_700_000_000, "missing"),
        ("garbage", b"x", 1_700_000_000, "malformed"),
        ("t=abc,v1=00", b"x", 1_700_000_000, "no valid t="),
        (sign(SECRET, b"x", 1_700_000_000), b"y", 1_700_000_000, "does not match"),
        (sign("other", b"x", 1_700_000_000), b"x", 1_700_000_000, "does not match"),
        (sign(SECRET, b"x", 1_700_000_000), b"x", 1_700_000_301, "outside the tolerance"),
    ],
)
def test_bad_signatures_are_refused(header, body, now, message):
    with pytest.raises(SignatureError, match=message):
        verify_signature(SECRET, header, body, now=now)


def test_secret_rotation_accepts_either_digest():
    body = b"{}"
    old = sign("old", body, 1_700_000_000).split(",")[1]
    header = sign(SECRET, body, 1_700_000_000) + "," + old
    assert verify_signature("old", header, body, now=1_700_000_000)


def test_empty_secret_cannot_sign():
    with pytest.raises(ValueError, match="empty signing secret"):
        sign("", b"x")


@pytest.mark.parametrize(
    "header",
    [None, "", "t=1700000000,v1=é", "t=1700000000,v1=\udcff", "t=1e9,v1=00", "v1=00", ",,,", "t=-"],
)
def test_any_malformed_header_is_simply_invalid(header):
    assert signature_is_valid(SECRET, header, b"x", now=1_700_000_000) is False
    with pytest.raises(SignatureError):
        verify_signature(SECRET, header, b"x", now=1_700_000_000)


def test_a_good_signature_is_valid():
    header = sign(SECRET, b"x", 1_700_000_000)
    assert signature_is_valid(SECRET, header, b"x", now=1_700_000_000) is True


# ---------------------------------------------------------------------------------------------
# The current headers: webhook-id, webhook-timestamp, webhook-signature (Standard Webhooks)

NOW = 1_700_000_000
BODY = b'{"records":[]}'
MESSAGE_ID = "msg_0123456789abcdef0123456789abcdef"


def signed(secret=SECRET, body=BODY, message_id=MESSAGE_ID, timestamp=NOW) -> dict[str, str]:
    return signed_headers(secret, body, message_id, timestamp)


def test_signed_headers_verify_and_carry_id_timestamp_and_the_older_header():
    headers = signed()
    assert headers["webhook-id"] == MESSAGE_ID
    assert headers["webhook-timestamp"] == str(NOW)
    assert headers["webhook-signature"].startswith("v1,")
    assert verify_request(SECRET, headers, BODY, now=NOW + 100) is True
    # Receivers built on the older header keep working while they move.
    assert verify_signature(SECRET, headers["X-Batch-Platform-Signature"], BODY, now=NOW) == NOW


def test_the_documented_algorithm_computes_the_same_signature():
    """What docs/delivery.md tells receivers in other languages to compute."""
    headers = signed()
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + BODY
    digest = hmac.new(SECRET.encode(), content, hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(digest).decode()


def test_a_whsec_secret_is_its_base64_decoded_key():
    key = bytes(range(32))
    secret = "whsec_" + base64.b64encode(key).decode()
    headers = signed(secret=secret)
    content = f"{MESSAGE_ID}.{NOW}.".encode() + BODY
    digest = hmac.new(key, content, hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(digest).decode()
    assert verify_request(secret, headers, BODY, now=NOW)
    assert not verify_request(
        "whsec_" + base64.b64encode(b"other").decode(), headers, BODY, now=NOW
    )


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("webhook-id", "msg_ffffffffffffffffffffffffffffffff"),  # the id is signed
        ("webhook-timestamp", str(NOW + 1)),  # so is the timestamp
    ],
)
def test_id_and_timestamp_are_part_of_the_signed_content(change, value):
    headers = signed() | {change: value}
    assert verify_request(SECRET, headers, BODY, now=NOW) is False


def test_body_and_secret_must_match():
    assert verify_request(SECRET, signed(), BODY + b" ", now=NOW) is False
    assert verify_request("another-secret", signed(), BODY, now=NOW) is False


def test_header_names_in_any_case_and_several_signatures_for_rotation():
    headers = {name.title(): value for name, value in signed().items()}
    assert verify_request(SECRET, headers, BODY, now=NOW)
    old = signed(secret="old-secret")["webhook-signature"]
    rotating = signed() | {"webhook-signature": f"{old} {signed()['webhook-signature']}"}
    assert verify_request(SECRET, rotating, BODY, now=NOW)
    assert verify_request("old-secret", rotating, BODY, now=NOW)
    assert not verify_request("third-secret", rotating, BODY, now=NOW)


def _truncated() -> str:
    return signed()["webhook-signature"][:-4]


def _hex_digest() -> str:
    content = f"{MESSAGE_ID}.{NOW}.".encode() + BODY
    return hmac.new(SECRET.encode(), content, hashlib.sha256).hexdigest()


def _with(**changes) -> dict:
    headers = signed()
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is _DROP:
            headers.pop(name)
        else:
            headers[name] = value
    return headers


_DROP = object()


class _Exploding(dict):
    def get(self, *args):
        raise RuntimeError("a header object that fails")


MALFORMED = {
    # missing or empty
    "no headers": ({}, BODY),
    "headers None": (None, BODY),
    "headers not a mapping": ("webhook-id: x", BODY),
    "headers that raise": (_Exploding(signed()), BODY),
    "no id": (_with(webhook_id=_DROP), BODY),
    "no timestamp": (_with(webhook_timestamp=_DROP), BODY),
    "no signature": (_with(webhook_signature=_DROP), BODY),
    "empty id": (_with(webhook_id=""), BODY),
    "empty timestamp": (_with(webhook_timestamp=""), BODY),
    "empty signature": (_with(webhook_signature=""), BODY),
    "None signature": (_with(webhook_signature=None), BODY),
    "None body": (signed(), None),
    "str body": (signed(), BODY.decode()),
    # non-ASCII
    "non-ASCII id": (_with(webhook_id="msg_é"), BODY),
    "non-ASCII signature": (_with(webhook_signature="v1,é" + _truncated()), BODY),
    "surrogate in signature": (_with(webhook_signature="v1,\udcff"), BODY),
    "Arabic-Indic digits": (_with(webhook_timestamp="١٧٠٠٠٠٠٠٠٠"), BODY),
    "full-width digits": (_with(webhook_timestamp="１７００００００００"), BODY),
    # wrong types
    "bytes signature": (_with(webhook_signature=signed()["webhook-signature"].encode()), BODY),
    "list id": (_with(webhook_id=[MESSAGE_ID]), BODY),
    "int timestamp": (_with(webhook_timestamp=NOW), BODY),
    # signature forms
    "truncated signature": (_with(webhook_signature=_truncated()), BODY),
    "signature without scheme": (_with(webhook_signature=signed()["webhook-signature"][3:]), BODY),
    "wrong scheme v2": (_with(webhook_signature="v2," + signed()["webhook-signature"][3:]), BODY),
    "asymmetric scheme v1a": (
        _with(webhook_signature="v1a," + signed()["webhook-signature"][3:]),
        BODY,
    ),
    "the older t=,v1= form": (_with(webhook_signature=f"t={NOW},v1={_hex_digest()}"), BODY),
    "hex instead of base64": (_with(webhook_signature="v1," + _hex_digest()), BODY),
    "bad base64": (_with(webhook_signature="v1,!!!notbase64!!!"), BODY),
    "base64 of the wrong length": (_with(webhook_signature="v1,AAAA"), BODY),
    "only spaces": (_with(webhook_signature="   "), BODY),
    # timestamps
    "timestamp too old": (_with(webhook_timestamp=str(NOW - 301)), BODY),
    "timestamp too far ahead": (_with(webhook_timestamp=str(NOW + 301)), BODY),
    "non-numeric timestamp": (_with(webhook_timestamp="abc"), BODY),
    "exponent timestamp": (_with(webhook_timestamp="1.7e9"), BODY),
    "negative timestamp": (_with(webhook_timestamp="-1700000000"), BODY),
    "fractional timestamp": (_with(webhook_timestamp=f"{NOW}.5"), BODY),
    "padded timestamp": (_with(webhook_timestamp=f" {NOW}"), BODY),
    # huge values
    "huge id": (_with(webhook_id="m" * 100_000), BODY),
    "huge timestamp": (_with(webhook_timestamp="9" * 100_000), BODY),
    "huge signature": (_with(webhook_signature="v1," + "A" * 1_000_000), BODY),
    "many signatures": (_with(webhook_signature=" ".join(["v1,AAAA"] * 100)), BODY),
    # an id that would make "<id>.<timestamp>.<body>" ambiguous
    "dot in id": (_with(webhook_id="msg.1"), BODY),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_any_malformed_request_is_simply_invalid(case):
    headers, body = MALFORMED[case]
    assert verify_request(SECRET, headers, body, now=NOW) is False


@pytest.mark.parametrize(
    "secret", [None, "", 42, b"s3cret", "whsec_", "whsec_!!!", "whsec_" + "A" * 3]
)
def test_a_malformed_secret_on_the_receiver_is_simply_invalid(secret):
    assert verify_request(secret, signed(), BODY, now=NOW) is False


@pytest.mark.parametrize("now", [None, "soon", float("nan")])
def test_odd_clocks_and_tolerances_never_raise(now):
    assert verify_request(SECRET, signed(), BODY, now=now) is False
    assert verify_request(SECRET, signed(), BODY, now=NOW, tolerance_seconds=None) is False


def test_signing_refuses_empty_secrets_and_bad_ids():
    with pytest.raises(ValueError, match="empty signing secret"):
        signed_headers("", BODY, MESSAGE_ID)
    with pytest.raises(ValueError, match="empty signing key"):
        signed_headers("whsec_", BODY, MESSAGE_ID)
    for bad in ["", "msg.1", "msg é", "m" * 257]:
        with pytest.raises(ValueError, match="message id"):
            signed_headers(SECRET, BODY, bad)


def test_ids_are_new_per_delivery_or_stable_per_event():
    assert new_message_id() != new_message_id()
    assert is_message_id(new_message_id())
    assert message_id_for("run", "r1", "SUCCESS") == message_id_for("run", "r1", "SUCCESS")
    assert message_id_for("run", "r1", "SUCCESS") != message_id_for("run", "r1", "FAILURE")
    assert is_message_id(message_id_for("run", "rün/ä.b", "x"))


# ---------------------------------------------------------------------------------------------
# The replay guard


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_replay_guard_refuses_a_second_use_of_an_id():
    guard = ReplayGuard()
    headers = signed()
    assert verify_request(SECRET, headers, BODY, now=NOW, replay_guard=guard) is True
    assert verify_request(SECRET, headers, BODY, now=NOW, replay_guard=guard) is False
    assert verify_request(SECRET, headers, BODY, now=NOW) is True  # without the guard: valid
    assert MESSAGE_ID in guard and len(guard) == 1


def test_a_forged_request_does_not_use_up_an_id():
    guard = ReplayGuard()
    forged = signed(secret="not-ours")
    assert verify_request(SECRET, forged, BODY, now=NOW, replay_guard=guard) is False
    assert len(guard) == 0
    assert verify_request(SECRET, signed(), BODY, now=NOW, replay_guard=guard) is True


def test_a_released_id_is_accepted_again():
    guard = ReplayGuard()
    assert verify_request(SECRET, signed(), BODY, now=NOW, replay_guard=guard)
    guard.release(request_id(signed()))
    retry = signed(timestamp=NOW + 2)  # our retry: same id, fresh timestamp
    assert verify_request(SECRET, retry, BODY, now=NOW + 2, replay_guard=guard)
    assert not verify_request(SECRET, retry, BODY, now=NOW + 3, replay_guard=guard)


def test_the_guard_forgets_ids_once_their_requests_are_too_old_anyway():
    clock = Clock()
    guard = ReplayGuard(clock=clock)
    assert verify_request(SECRET, signed(), BODY, now=NOW + 200, replay_guard=guard)
    # The signature is 200 s old: it passes for 100 s more, so the id is kept that long (+1).
    clock.now += 100
    assert MESSAGE_ID in guard
    clock.now += 2
    assert MESSAGE_ID not in guard and len(guard) == 0


def test_the_guard_is_bounded_and_fails_closed_when_full():
    clock = Clock()
    guard = ReplayGuard(max_ids=2, clock=clock)
    assert guard.claim("a", 10) and guard.claim("b", 20)
    assert guard.claim("c", 10) is False  # full: refused, not evicting a live id
    assert guard.claim("a", 10) is False
    clock.now += 11
    assert guard.claim("c", 10) is True and len(guard) == 2
    for n in range(10_000):  # released and re-claimed ids do not grow it without bound
        guard.claim(f"x{n}", 5)
        guard.release(f"x{n}")
    assert len(guard._heap) <= 2 * guard.max_ids + 1024 + 1


def test_a_seen_id_is_kept_as_long_as_its_newest_request_could_pass():
    clock = Clock()
    guard = ReplayGuard(clock=clock)
    assert guard.claim("a", 10)
    assert guard.claim("a", 100) is False  # seen again, with a fresher signature
    clock.now += 50
    assert "a" in guard


def test_any_callable_can_be_the_replay_guard():
    seen: dict[str, float] = {}

    def claim(message_id: str, ttl_seconds: float) -> bool:
        if message_id in seen:
            return False
        seen[message_id] = ttl_seconds
        return True

    assert verify_request(SECRET, signed(), BODY, now=NOW + 10, replay_guard=claim)
    assert seen == {MESSAGE_ID: 291}
    assert not verify_request(SECRET, signed(), BODY, now=NOW + 10, replay_guard=claim)

    def broken(message_id: str, ttl_seconds: float) -> bool:
        raise ConnectionError("the shared store is down")

    assert verify_request(SECRET, signed(), BODY, now=NOW, replay_guard=broken) is False


def test_request_id_reads_only_well_formed_ids():
    assert request_id(signed()) == MESSAGE_ID
    assert request_id({"Webhook-Id": MESSAGE_ID}) == MESSAGE_ID
    assert request_id({"webhook-id": "msg_é"}) is None
    assert request_id(None) is None


# ---------------------------------------------------------------------------------------------
# Which secret


def test_a_named_secret_is_used_and_the_shared_one_only_as_a_fallback():
    env = {"BATCH_PLATFORM_SIGNING_SECRET": "shared", "CRM_SECRET": "crm"}
    assert resolve_secret(env, "CRM_SECRET", "destination 'crm'") == "crm"
    assert resolve_secret(env, None, "destination 'map'") == "shared"


@pytest.mark.parametrize(
    ("env", "secret_env", "message"),
    [
        ({"BATCH_PLATFORM_SIGNING_SECRET": "shared-value"}, "CRM_SECRET",
         r"^destination 'crm': \$CRM_SECRET \(its signing_secret_env\) is not set or is empty"),
        ({"BATCH_PLATFORM_SIGNING_SECRET": "shared-value", "CRM_SECRET": ""}, "CRM_SECRET",
         r"\$CRM_SECRET \(its signing_secret_env\) is not set or is empty"),
        ({"BATCH_PLATFORM_SIGNING_SECRET": "shared-value", "CRM_SECRET": " \n"}, "CRM_SECRET",
         r"\$CRM_SECRET \(its signing_secret_env\) is not set or is empty"),
        ({"CRM_SECRET": "crm-value"}, None,
         r"\$BATCH_PLATFORM_SIGNING_SECRET \(the shared secret; it names no signing_secret_env\)"),
        ({"CRM_SECRET": "whsec_not*base64"}, "CRM_SECRET", r"whsec_ but the rest is not base64"),
        ({"CRM_SECRET": "whsec_"}, "CRM_SECRET", r"holds an empty key"),
    ],
)  # fmt: skip
def test_a_missing_or_unusable_secret_is_a_configuration_error(env, secret_env, message):
    with pytest.raises(SigningConfigError, match=message) as raised:
        resolve_secret(env, secret_env, "destination 'crm'")
    for value in env.values():
        if value.strip():
            assert value not in str(raised.value)


@pytest.mark.parametrize("name", ["crm_secret", "1SECRET", "A-B", "", "S" * 129, "8f3a9c0d"])
def test_a_secret_env_must_look_like_a_variable_name_and_is_not_echoed(name):
    with pytest.raises(ValueError, match="must name an environment variable") as raised:
        check_secret_env_name(name)
    assert not name or name not in str(raised.value)


@pytest.mark.parametrize(
    ("secret", "header", "body"),
    [(None, "t=1700000000,v1=00", b"x"), (SECRET, 42, b"x"), (SECRET, "t=1700000000,v1=00", None)],
)
def test_the_older_yes_or_no_never_raises_on_wrong_types(secret, header, body):
    assert signature_is_valid(secret, header, body, now=1_700_000_000) is False


# ---------------------------------------------------------------------------------------------
# The snippets docs/delivery.md gives receivers, run as written

DOCS = Path(__file__).resolve().parents[2] / "docs" / "delivery.md"


def _python_block(containing: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    [block] = [b for b in blocks if containing in b]
    return block


def test_the_documented_standard_library_verify_agrees_with_ours(monkeypatch):
    namespace: dict = {}
    exec(_python_block("def verify(key: bytes"), namespace)
    verify = namespace["verify"]
    monkeypatch.setattr(time, "time", lambda: float(NOW))
    assert verify(SECRET.encode(), signed(), BODY) is True
    assert verify(b"another", signed(), BODY) is False
    for case, (headers, body) in MALFORMED.items():
        if case != "headers that raise":  # only ours reads headers with .get
            assert verify(SECRET.encode(), headers, body) is False, case


def test_the_documented_receiver_accepts_once_and_lets_our_retry_through(monkeypatch):
    monkeypatch.setenv("CRM_SIGNING_SECRET", SECRET)
    applied: list[str] = []
    failing = {"now": True}

    def apply(record):
        if failing["now"]:
            failing["now"] = False
            raise RuntimeError("the database is down")
        applied.append(record["idempotency_key"])

    namespace = {"seen": lambda key: key in applied, "apply": apply, "remember": lambda key: None}
    exec(_python_block("def handle(raw_body: bytes, headers)"), namespace)
    handle = namespace["handle"]
    body = b'{"records":[{"idempotency_key":"k1"}]}'
    first = signed_headers(SECRET, body, MESSAGE_ID)
    assert handle(body, first) == 500  # not processed: the id is released
    retry = signed_headers(SECRET, body, MESSAGE_ID)  # our retry: same id
    assert handle(body, retry) == 200 and applied == ["k1"]
    assert handle(body, retry) == 401  # the same request again: a replay
    assert handle(body, signed_headers("not-ours", body, "msg_other")) == 401
