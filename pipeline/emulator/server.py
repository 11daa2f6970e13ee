"""Entry point of the emulator process: apply the patches, run Lambda without Docker, serve moto."""

from __future__ import annotations

import argparse
import signal
import sys

from pipeline.emulator import compat, lambda_runtime


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the embedded AWS emulator on loopback.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--lambda-update-seconds", type=float, default=0.0,
                        help="keep Lambda updates in progress this long, as Lambda does (default: instant)")
    args = parser.parse_args()
    compat.apply_all()
    if args.lambda_update_seconds > 0:
        compat.lambda_updates_settle_after(args.lambda_update_seconds)
    lambda_runtime.install(f"http://127.0.0.1:{args.port}")
    # `emulator stop` sends SIGTERM: exit through atexit, which stops the warm Lambda workers.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    from moto.server import main as moto_main

    # Loopback only: the emulator accepts any credentials it issued and must not be reachable.
    moto_main(["--host", "127.0.0.1", "--port", str(args.port)])


if __name__ == "__main__":
    main()
