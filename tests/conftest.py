"""Shared fixtures: an emulator of the suite's own, on a free port, with its own local state; and the
suite's order and markers: emulator tests say so, Terraform runs only in e2e tests, and e2e tests run
last, tests/e2e/test_acceptance.py after every other test."""

from __future__ import annotations

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
