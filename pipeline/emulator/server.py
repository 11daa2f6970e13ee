"""Entry point of the emulator process: apply the patches, run Lambda without Docker, serve moto."""

from __future__ import annotations

import argparse

from pipeline.emulator import compat, lambda_runtime


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the embedded AWS emulator on loopback.")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    compat.apply_all()
    lambda_runtime.install(f"http://127.0.0.1:{args.port}")
    from moto.server import main as moto_main

    # Loopback only: the emulator accepts any credentials it issued and must not be reachable.
    moto_main(["--host", "127.0.0.1", "--port", str(args.port)])


if __name__ == "__main__":
    main()
