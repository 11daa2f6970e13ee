"""Plain moto, started beside the patched emulator, to show each patch and guard is still needed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from pipeline import emulator


@pytest.fixture(scope="module")
def unpatched_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, emulator.Credentials]]:
    """Plain moto with IAM enforcement and an ops user, to show each patch is still needed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"}
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not emulator._answers(endpoint):
        assert time.monotonic() < deadline, "plain moto did not start"
        time.sleep(0.1)
    try:
        yield endpoint, emulator._create_ops_identity(endpoint)
    finally:
        process.terminate()
        process.wait(timeout=10)
