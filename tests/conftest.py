"""Shared fixtures: an emulator of the suite's own, on a free port, with its own local state; and the
suite's order and markers: emulator tests say so, Terraform runs only in e2e tests, and e2e tests run
last, tests/e2e/test_acceptance.py after every other test."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import emulator
from pipeline.aws import Target, connect
from pipeline.project.environments import get_environment
from pipeline.terraform.runner import Terraform

AMBIENT_AWS_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL",
)

ACCEPTANCE = "test_acceptance.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fast tests first, then e2e, then the acceptance checks, which judge what all the others left behind.

    Raises pytest.UsageError when a test uses the emulator without the `emulator` (or `e2e`) marker.
    """
    unmarked = [item.nodeid for item in items if "local_target" in getattr(item, "fixturenames", ())
                and item.get_closest_marker("emulator") is None and item.get_closest_marker("e2e") is None]
    if unmarked:
        raise pytest.UsageError("these tests use the emulator (local_target) but are not marked "
                                "@pytest.mark.emulator:\n  " + "\n  ".join(unmarked))
    items.sort(key=lambda item: (item.get_closest_marker("e2e") is not None, item.path.name == ACCEPTANCE))


@pytest.fixture(autouse=True)
def terraform_only_in_e2e(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that is not marked e2e fails at its first Terraform command instead of slowing the fast layer."""
    if request.node.get_closest_marker("e2e") is not None:
        return

    def refuse(self: Terraform, args: list[str], *_: object, **__: object) -> None:
        pytest.fail(f"runs `terraform {args[0]}` in {self.root}: real Terraform runs only in tests marked e2e")

    monkeypatch.setattr(Terraform, "run", refuse)


@pytest.fixture(scope="session", autouse=True)
def no_real_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No credential for real AWS reaches the suite or what it runs: only the emulator's work."""
    no_file = tmp_path_factory.mktemp("aws") / "none"
    with pytest.MonkeyPatch.context() as patch:
        for name in AMBIENT_AWS_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("AWS_CONFIG_FILE", str(no_file))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(no_file))
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


@pytest.fixture(scope="session", autouse=True)
def local_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local state folder of the suite's own, for every test and every CLI run it starts, so the
    developer's emulator (and port 4566) is never touched; whatever emulator a run started there
    is stopped at the end."""
    folder = tmp_path_factory.mktemp("local")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEPLOY_LOCAL_DIR", str(folder))
        patch.setenv("DEPLOY_EMULATOR_PORT", "0")
        # Lambda updates settle after a second, as in AWS: publishing too early fails the suite.
        patch.setenv(emulator.LAMBDA_UPDATE_SECONDS, "1")
        try:
            yield folder
        finally:
            emulator.stop()


@pytest.fixture(scope="session")
def local_target(local_dir: Path) -> Iterator[Target]:
    """The `local` environment, backed by an emulator started for this test session."""
    target = connect(get_environment("local"))
    try:
        yield target
    finally:
        emulator.stop()


@pytest.fixture
def signal_handlers_restored() -> Iterator[None]:
    """For tests calling cli.main.main in-process: it routes SIGINT and SIGTERM through Terraform's stop handler."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


def unused_port() -> int:
    """A loopback port nothing listens on (free a moment ago): to listen on, or to be refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def endpoint_table(name: str, endpoint: str) -> str:
    """An environments.toml table for an external emulator at `endpoint`, with fixed test credentials."""
    return f"""[{name}]
emulator = true
endpoint = "{endpoint}"
access_key_id = "test"
secret_access_key = "test"
region = "us-east-1"
state_bucket = "{name}-terraform-state"
artifact_bucket = "{name}-artifacts"
"""


def write_unreachable_environments(path: Path) -> Path:
    """An environments.toml where nothing is reachable, each failing fast: `local` is an external endpoint on a
    closed port (no emulator is ever started), `dev` is AWS through profiles this machine does not have."""
    path.write_text(endpoint_table("local", f"http://127.0.0.1:{unused_port()}") + """
[dev]
emulator = false
region = "eu-west-1"
deployer_profile = "not-on-this-machine-deployer"
ops_profile = "not-on-this-machine-ops"
deployer_principals = ["arn:aws:iam::111111111111:role/ci"]
state_bucket = "unreachable-dev-state"
artifact_bucket = "unreachable-dev-artifacts"
""")
    return path
