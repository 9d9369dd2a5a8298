"""`batch-platform api`: serve the job API (FastAPI on uvicorn); see docs/api.md."""

import argparse

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from batch_platform.api.app import create_app

    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        server_header=False,
        proxy_headers=False,
    )
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "api", help="serve the job API (batches, portfolio sweeps, signal uploads)"
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    parser.set_defaults(handler=serve)
