"""`batch-platform`: the command line. Each module of this package adds one command group.

A command module defines ``register(subparsers)``, adding its parser and setting ``handler`` (a
function taking the parsed arguments and returning an exit code) with ``set_defaults``.
"""

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

# Which module adds which command: a call imports only its command's module (``sql`` answers
# without importing the HTTP client or the delivery code). test_cli checks it stays complete.
COMMAND_MODULES = {
    "api": "api",
    "api-keys": "api_keys",
    "batch": "content",
    "deliveries": "delivery",
    "portfolio": "portfolio",
    "search": "search",
    "sql": "sql",
    "warehouse": "warehouse",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` the parser of that one module."""
    parser = argparse.ArgumentParser(
        prog="batch-platform", description="Operate the batch_platform pipelines."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    names = [only] if only else sorted(m.name for m in pkgutil.iter_modules(__path__))
    for name in names:
        if not name.startswith("_"):
            importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else None
    args = build_parser(COMMAND_MODULES.get(command)).parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
