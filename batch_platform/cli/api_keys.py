"""`batch-platform api-keys`: create, revoke and list the job API's keys.

``create NAME`` prints the new key once, as the last word of its output: only its SHA-256 is
stored, so it cannot be shown again (revoke it and create another if it is lost).
"""

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from batch_platform.api.api_keys import ApiKey, ApiKeyError, create_key, list_keys, revoke_key
from batch_platform.api.settings import load_api_settings
from batch_platform.api.state_store import open_state
from batch_platform.cli.sql import echo, reporting_errors


def _state_db(args: argparse.Namespace) -> Path:
    return Path(args.state_db) if args.state_db else load_api_settings().state_db


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def create(args: argparse.Namespace) -> int:
    with open_state(_state_db(args)) as con:
        key, token = create_key(
            con, args.name, rate_per_minute=args.rate_per_minute, rate_burst=args.burst
        )
    echo(f"created API key {key.name} (id {key.key_id}); it is shown once, here:")
    echo(token)
    return 0


def revoke(args: argparse.Namespace) -> int:
    with open_state(_state_db(args)) as con:
        key = revoke_key(con, args.name)
    echo(f"revoked API key {key.name} (id {key.key_id})")
    return 0


def _limits(key: ApiKey) -> str:
    rate = f"{key.rate_per_minute:g}/min" if key.rate_per_minute else "default rate"
    burst = f"burst {key.rate_burst}" if key.rate_burst else "default burst"
    return f"{rate}, {burst}"


def show(args: argparse.Namespace) -> int:
    with open_state(_state_db(args)) as con:
        keys = list_keys(con)
    if args.json:
        echo(json.dumps([key.__dict__ for key in keys]))
        return 0
    if not keys:
        echo("no API keys; create one with: batch-platform api-keys create NAME")
    for key in keys:
        state = f"revoked {_when(key.revoked_at)}" if key.revoked_at else "active"
        echo(
            f"{key.name}  id {key.key_id}  {state}  created {_when(key.created_at)}  "
            f"last used {_when(key.last_used_at)}  {_limits(key)}"
        )
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("api-keys", help="the job API's keys: create, revoke, list")
    commands = parser.add_subparsers(dest="api_keys_command", required=True, metavar="COMMAND")
    state_db = {"help": "the API's state file (default: $BATCH_PLATFORM_API_STATE_DB)"}

    create_parser = commands.add_parser("create", help="a new key, printed once")
    create_parser.add_argument("name", help="who or what uses the key, e.g. crawler-team")
    create_parser.add_argument(
        "--rate-per-minute", type=float, help="this key's rate (default: the API's)"
    )
    create_parser.add_argument("--burst", type=int, help="this key's burst (default: the API's)")
    create_parser.add_argument("--state-db", **state_db)
    create_parser.set_defaults(handler=reporting_errors(create, (ApiKeyError,)))

    revoke_parser = commands.add_parser("revoke", help="revoke a key by name or id")
    revoke_parser.add_argument("name", help="the key's name or id")
    revoke_parser.add_argument("--state-db", **state_db)
    revoke_parser.set_defaults(handler=reporting_errors(revoke, (ApiKeyError,)))

    list_parser = commands.add_parser("list", help="every key: name, id, state, last use")
    list_parser.add_argument("--json", action="store_true", help="one JSON array")
    list_parser.add_argument("--state-db", **state_db)
    list_parser.set_defaults(handler=reporting_errors(show, (ApiKeyError,)))
