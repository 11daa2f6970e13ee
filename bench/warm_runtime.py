#!/usr/bin/env python3
"""Cold against warm local requests, on the same run: what the warm Lambda workers buy.

On a fresh emulator with its own local state, deploys the reference system (authentication,
location, profile), starts `deploy.py serve`, registers a user with a location and a profile,
then measures:
- a profile GET through the gateway (profile's function, which calls authentication's
  verify_token and location's API: three functions), cold (every worker killed before each
  request, so each function starts a new process and imports its handler, as every request did
  before warm workers) and warm (workers kept);
- a single Lambda Invoke of location's get_location, cold and warm, straight to the emulator.
Prints medians and the speed-up; asserts nothing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import emulator  # noqa: E402
from pipeline.aws import Identity, connect  # noqa: E402
from pipeline.paths import PROJECT_ROOT  # noqa: E402
from pipeline.project.environments import get_environment  # noqa: E402

COLD_SAMPLES = 5
WARM_SAMPLES = 30


def run(*args: str) -> None:
    result = subprocess.run([sys.executable, "deploy.py", *args], cwd=PROJECT_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"deploy.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(base_url: str, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    prepared = urllib.request.Request(f"{base_url}{path}", data=data, method=method,
                                      headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(prepared, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def signed(method: str, url: str, body: Any) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    ops = emulator.ops_credentials()
    data = json.dumps(body).encode() if body is not None else None
    prepared = AWSRequest(method=method, url=url, data=data, headers={"content-type": "application/json"})
    SigV4Auth(Credentials(ops.access_key_id, ops.secret_access_key), "execute-api", "us-east-1").add_auth(prepared)
    return dict(prepared.headers.items())


def kill_workers(emulator_pid: int) -> None:
    """SIGKILL every warm worker of the emulator: the next invocation of each function starts cold."""
    for children in Path(f"/proc/{emulator_pid}/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                if b"lambda_bootstrap" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                continue
    time.sleep(0.2)  # let the emulator reap them


def timed_ms(action: Callable[[], Any], before: Callable[[], None] | None, samples: int) -> list[float]:
    durations = []
    for _ in range(samples):
        if before is not None:
            before()
        started = time.perf_counter()
        action()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def main() -> None:
    os.environ["DEPLOY_LOCAL_DIR"] = tempfile.mkdtemp(prefix="bench-local-")
    os.environ["DEPLOY_EMULATOR_PORT"] = "0"
    port = free_port()
    os.environ["DEPLOY_GATEWAY_PORT"] = str(port)
    base_url = f"http://127.0.0.1:{port}"
    serve: subprocess.Popen[bytes] | None = None
    try:
        for service in ("authentication", "location", "profile"):
            run("deploy", "--service", service)
        serve = subprocess.Popen([sys.executable, "deploy.py", "serve"], cwd=PROJECT_ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                urllib.request.urlopen(f"{base_url}/none", timeout=2)
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
        request(base_url, "POST", "/authentication/users", {"user_id": "ada", "password": "correct horse"})
        token = request(base_url, "POST", "/authentication/tokens", {"user_id": "ada", "password": "correct horse"})[1]["token"]
        place = {"latitude": 51.5, "longitude": -0.12}
        request(base_url, "PUT", "/location/locations/ada", place,
                {"x-user-token": token, **signed("PUT", f"{base_url}/location/locations/ada", place)})
        request(base_url, "POST", "/profile/profiles", {"display_name": "Ada"}, {"authorization": f"Bearer {token}"})

        def get_profile() -> None:
            status, body = request(base_url, "GET", "/profile/profiles/ada", headers={"authorization": f"Bearer {token}"})
            if status != 200:
                sys.exit(f"profile GET answered {status}: {body}")

        target = connect(get_environment("local"))
        lambda_client = target.client("lambda", Identity.OPS)

        def invoke_location() -> None:
            lambda_client.invoke(FunctionName="local-location-get_location", Qualifier="live", Payload=b"{}")

        running = emulator.current()
        assert running is not None
        cold = lambda: kill_workers(running.pid)  # noqa: E731
        figures = {
            "profile GET via serve, cold": timed_ms(get_profile, cold, COLD_SAMPLES),
            "profile GET via serve, warm": timed_ms(get_profile, None, WARM_SAMPLES),
            "single invoke (get_location), cold": timed_ms(invoke_location, cold, COLD_SAMPLES),
            "single invoke (get_location), warm": timed_ms(invoke_location, None, WARM_SAMPLES),
        }
    finally:
        if serve is not None:
            serve.terminate()
            serve.wait()
        emulator.stop()
    print(f"{'measurement':<40} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    medians = {}
    for name, durations in figures.items():
        medians[name] = statistics.median(durations)
        print(f"{name:<40} {medians[name]:>10.1f} {min(durations):>8.1f} {max(durations):>8.1f}")
    for what in ("profile GET via serve", "single invoke (get_location)"):
        print(f"{what}: warm is {medians[f'{what}, cold'] / medians[f'{what}, warm']:.0f}x faster than cold")


if __name__ == "__main__":
    main()
