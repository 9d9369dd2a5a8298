"""HMAC signatures: what we send verifies; anything altered, stale or malformed does not."""

import pytest

from batch_platform.lib.signing import SignatureError, sign, signature_is_valid, verify_signature

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
