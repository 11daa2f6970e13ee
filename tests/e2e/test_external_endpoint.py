"""An environment whose `endpoint` names an emulator already running: used as it is, never started.

The project's own moto server, started by hand as a user would start LocalStack, stands in for
any external emulator (LocalStack itself needs Docker, which is not here). The caller's shell
points AWS_ENDPOINT_URL at a dead address: neither the pipeline nor the service's unit tests may
follow it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from pipeline.paths import PROJECT_ROOT
from tests.conftest import endpoint_table, unused_port
from tests.e2e.conftest import Project, copy_project

pytestmark = pytest.mark.e2e


def emulators_started_with(local: Path) -> list[int]:
    """Emulator processes whose DEPLOY_LOCAL_DIR is `local`: what a run with that local dir started."""
    marker = f"DEPLOY_LOCAL_DIR={local}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"pipeline.emulator.server" in (entry / "cmdline").read_bytes() \
                    and marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def external(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The project's moto server on a port of its own, started outside the orchestrator."""
    port = unused_port()
    log = tmp_path_factory.mktemp("external") / "server.log"
    with open(log, "wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "pipeline.emulator.server", "--port", str(port)],
                                  cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline and server.poll() is None, log.read_text()
            time.sleep(0.2)
    yield endpoint
    server.terminate()
    server.wait(10)


def test_location_deploys_to_an_external_endpoint_without_starting_an_emulator(
    external: str, tmp_path: Path
) -> None:
    project: Project = copy_project(tmp_path / "repo")
    environments = tmp_path / "environments.toml"
    environments.write_text(endpoint_table("outside", external))
    local = tmp_path / "local"

    result = project.deploy_py("deploy", "--service", "location", "--env", "outside", env={
        "DEPLOY_ENVIRONMENTS_FILE": str(environments), "DEPLOY_LOCAL_DIR": str(local),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{unused_port()}",  # the caller's shell: dead, and never followed
    })

    assert result.returncode == 0, result.stdout + result.stderr
    assert "[location] test succeeded" in result.stdout, "the service's tests ignored the dead AWS_ENDPOINT_URL"
    assert "started the local AWS emulator" not in result.stdout
    assert not (local / "emulator").exists(), "no emulator of the pipeline's own was recorded"
    assert emulators_started_with(local) == [], "no emulator process was started"
    functions = boto3.client("lambda", endpoint_url=external, region_name="us-east-1",
                             aws_access_key_id="test", aws_secret_access_key="test")
    live = functions.get_alias(FunctionName="outside-location-get_location", Name="live")
    assert live["FunctionVersion"] == "1"
