"""API keys: shown once, stored as a digest, compared in constant time, revocable; the CLI."""

import hashlib
import json
import sqlite3

import pytest

from batch_platform.api.api_keys import (
    ApiKeyError,
    authenticate,
    bearer_token,
    create_key,
    list_keys,
    revoke_key,
)
from batch_platform.api.state_store import open_state
from batch_platform.cli import main


@pytest.fixture
def state(tmp_path):
    with open_state(tmp_path / "state.sqlite") as con:
        yield con


def test_a_key_is_stored_only_as_the_digest_of_its_secret(state, tmp_path):
    key, token = create_key(state, "crawler-team")
    prefix, key_id, secret = token.split("_", 2)
    assert (prefix, key_id) == ("bpk", key.key_id) and len(secret) == 43
    stored = state.execute("SELECT * FROM api_keys").fetchone()
    assert stored["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    raw = (tmp_path / "state.sqlite").read_bytes() + (tmp_path / "state.sqlite-wal").read_bytes()
    assert secret.encode() not in raw and token.encode() not in raw
    assert authenticate(state, token) == key


def test_wrong_malformed_and_revoked_keys_are_refused(state):
    key, token = create_key(state, "ci")
    other_key, other_token = create_key(state, "other")
    secret_of_other = other_token.split("_", 2)[2]
    for candidate in [
        None,
        "",
        token[:-1],
        token + "x",
        token.upper(),
        f"bpk_{key.key_id}_{secret_of_other}",  # a real secret, another key's id
        f"bpk_{'0' * 12}_{secret_of_other}",
        token.replace("bpk_", "xyz_"),
    ]:
        assert authenticate(state, candidate) is None, candidate
    revoked = revoke_key(state, "ci")
    assert revoked.revoked_at is not None
    assert authenticate(state, token) is None
    assert authenticate(state, other_token) == other_key
    with pytest.raises(ApiKeyError, match="no active key"):
        revoke_key(state, "ci")


def test_names_are_unique_among_active_keys(state):
    create_key(state, "team")
    with pytest.raises(ApiKeyError, match="exists; revoke it first"):
        create_key(state, "team")
    revoke_key(state, "team")
    create_key(state, "team")
    assert [(k.name, k.revoked_at is None) for k in list_keys(state)] == [
        ("team", False),
        ("team", True),
    ]
    for bad in ["", "-x", "a b", "x" * 65, "ünï"]:
        with pytest.raises(ApiKeyError, match="a key name is"):
            create_key(state, bad)
    with pytest.raises(ApiKeyError, match="rate"):
        create_key(state, "zero", rate_per_minute=0)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token(header, token):
    assert bearer_token(header) == token


def test_the_cli_prints_a_new_key_once_as_its_last_word(tmp_path, capsys):
    db = str(tmp_path / "state.sqlite")
    assert (
        main(["api-keys", "create", "crawler-team", "--rate-per-minute", "30", "--state-db", db])
        == 0
    )
    output = capsys.readouterr().out
    token = output.split()[-1]
    assert token.startswith("bpk_")
    with open_state(tmp_path / "state.sqlite") as con:
        key = authenticate(con, token)
    assert key.name == "crawler-team" and key.rate_per_minute == 30
    assert main(["api-keys", "list", "--state-db", db]) == 0
    listing = capsys.readouterr().out
    assert "crawler-team" in listing and key.key_id in listing and "30/min" in listing
    assert token.split("_", 2)[2] not in listing
    assert main(["api-keys", "list", "--json", "--state-db", db]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["name"] == "crawler-team" and listed["revoked_at"] is None
    assert main(["api-keys", "revoke", key.key_id, "--state-db", db]) == 0
    assert main(["api-keys", "revoke", "crawler-team", "--state-db", db]) == 2
    assert "no active key" in capsys.readouterr().err
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL").fetchone() == (
            0,
        )
