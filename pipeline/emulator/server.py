"""Entry point of the emulator process: apply the patches, run Lambda without Docker, serve moto."""

from __future__ import annotations

import argparse
import secrets
import signal
import sys
from pathlib import Path
from typing import Any

from pipeline.emulator import admin, compat, execute_api, lambda_runtime


def _exit(signum: int, frame: Any) -> None:
    """`emulator stop` sends SIGTERM: leave through atexit, which stops the warm Lambda workers."""
    sys.exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the embedded AWS emulator on loopback.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--admin-secret-file", type=Path,
                        help="file (mode 0600) holding the secret the admin API demands (default: a secret nobody "
                             "holds, so the admin API is closed)")
    parser.add_argument("--lambda-update-seconds", type=float, default=0.0,
                        help="keep Lambda updates in progress this long, as Lambda does (default: instant)")
    args = parser.parse_args()
    secret = args.admin_secret_file.read_text().strip() if args.admin_secret_file else secrets.token_urlsafe(32)
    compat.apply_all()
    if args.lambda_update_seconds > 0:
        compat.lambda_updates_settle_after(args.lambda_update_seconds)
    lambda_runtime.install(f"http://127.0.0.1:{args.port}")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    signal.signal(signal.SIGINT, _exit)
    signal.signal(signal.SIGTERM, _exit)
    endpoints = {execute_api.AUTHORISE_PATH: execute_api.authorise_invoke}
    app = admin.guarded(DomainDispatcherApplication(create_backend_app), secret, endpoints)
    # Loopback only: the emulator accepts any credentials it issued and must not be reachable.
    run_simple("127.0.0.1", args.port, app, threaded=True)


if __name__ == "__main__":
    main()
