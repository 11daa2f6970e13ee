"""dev -> prod promotion and rollback across two emulator-backed environments with their own buckets."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from pipeline.aws import Identity, Target, connect
from pipeline.project.environments import load_environments
from pipeline.state.ledger import Ledger, LedgerEntry
from tests.e2e.conftest import Project, copy_project, finish

pytestmark = pytest.mark.e2e

ENVIRONMENTS = """
[dev]
emulator = true
region = "us-east-1"
state_bucket = "promo-dev-state"
artifact_bucket = "promo-dev-artifacts"

[prod]
emulator = true
region = "us-east-1"
state_bucket = "promo-prod-state"
artifact_bucket = "promo-prod-artifacts"
"""
FUNCTIONS = ("get_location", "put_location")
# The copy verifies every deploy with a smoke event and tunes get_location for prod.
MANIFEST_ADDITIONS = """
smoke:
  function: get_location
  event: tests/smoke.json
environments:
  prod:
    functions:
      get_location: {memory_mb: 512, reserved_concurrency: 7}
"""


class TwoEnvironments:
    """A project copy whose commands see only `dev` and `prod`, both on the suite's emulator."""

    def __init__(self, project: Project, environments_file: Path) -> None:
        self.project = project
        self.environments_file = environments_file
        self.targets = {name: connect(env) for name, env in load_environments(environments_file).items()}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return finish(self.project.start(*args, env={"DEPLOY_ENVIRONMENTS_FILE": str(self.environments_file)}))[0]

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def ledger(self, environment: str) -> Ledger:
        return Ledger(self.targets[environment])

    def last(self, environment: str) -> LedgerEntry:
        return self.ledger(environment).executions("location")[-1]

    def live_code(self, environment: str) -> dict[str, tuple[str, str]]:
        """(version, CodeSha256) that `live` serves, per function."""
        client = self.targets[environment].client("lambda", Identity.OPS)
        found = {}
        for function in FUNCTIONS:
            name = f"{environment}-location-{function}"
            version = client.get_alias(FunctionName=name, Name="live")["FunctionVersion"]
            found[function] = (version, client.get_function_configuration(FunctionName=name, Qualifier=version)["CodeSha256"])
        return found


@pytest.fixture(scope="module")
def envs(tmp_path_factory: pytest.TempPathFactory, local_target: Target) -> TwoEnvironments:
    folder = tmp_path_factory.mktemp("promotion")
    environments_file = folder / "environments.toml"
    environments_file.write_text(ENVIRONMENTS)
    two = TwoEnvironments(copy_project(folder / "repo"), environments_file)
    service = two.project.root / "services" / "location"
    (service / "tests" / "smoke.json").write_text('{"pathParameters": {"user_id": "smoke"}}\n')
    manifest = (service / "service.yaml").read_text()
    # Its own smoke event in place of location's HTTP checks, which need authentication deployed too.
    (service / "service.yaml").write_text(manifest[:manifest.index("\n# After every deploy")] + MANIFEST_ADDITIONS)
    two.ok("deploy", "--service", "location", "--env", "dev")
    return two


def as_lambda_sha(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def memory_and_concurrency(envs: TwoEnvironments, environment: str) -> tuple[int, int]:
    client = envs.targets[environment].client("lambda", Identity.OPS)
    name = f"{environment}-location-get_location"
    concurrency = client.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"]
    return client.get_function_configuration(FunctionName=name)["MemorySize"], concurrency


def test_promotion_deploys_the_artifact_dev_verified_byte_for_byte(envs: TwoEnvironments) -> None:
    passed = envs.last("dev")
    output = envs.ok("promote", "--service", "location", "--from", "dev", "--to", "prod")

    promoted = envs.last("prod")
    assert (promoted.kind, promoted.origin, promoted.result) == ("promote", f"dev:{passed.execution_id}", "succeeded")
    assert promoted.artifact_sha256 == passed.artifact_sha256
    expected = as_lambda_sha(passed.artifact_sha256)
    assert {sha for _, sha in envs.live_code("dev").values()} == {expected}
    assert {sha for _, sha in envs.live_code("prod").values()} == {expected}
    key = f"services/location/{passed.artifact_sha256}.zip"
    envs.targets["prod"].client("s3", Identity.OPS).head_object(Bucket="promo-prod-artifacts", Key=key)
    assert f"promoted dev:{passed.execution_id} to prod" in output
    assert memory_and_concurrency(envs, "dev") == (256, 5)
    assert memory_and_concurrency(envs, "prod") == (512, 7)
    assert f"promote from dev:{passed.execution_id}" in envs.ok("history", "--service", "location", "--env", "prod")


def test_rollback_moves_live_back_to_the_previous_recorded_version(envs: TwoEnvironments) -> None:
    first = envs.last("dev")
    source = envs.project.root / "services" / "location" / "src" / "location" / "release.py"
    source.write_text("RELEASE = 2\n")
    envs.ok("deploy", "--service", "location", "--env", "dev")
    second = envs.last("dev")
    assert second.artifact_sha256 != first.artifact_sha256
    assert {version for version, _ in envs.live_code("dev").values()} == set(second.versions.values())

    output = envs.ok("rollback", "--service", "location", "--env", "dev")

    live = envs.live_code("dev")
    assert {function: version for function, (version, _) in live.items()} == first.versions
    assert {sha for _, sha in live.values()} == {as_lambda_sha(first.artifact_sha256)}
    rolled = envs.last("dev")
    assert (rolled.kind, rolled.origin, rolled.artifact_sha256) == ("rollback", first.execution_id, first.artifact_sha256)
    assert f"rolled dev back to execution {first.execution_id}" in output
    assert f"rollback from {first.execution_id}" in envs.ok("history", "--service", "location", "--env", "dev")

    envs.ok("rollback", "--service", "location", "--env", "dev", "--to", second.execution_id)
    assert {version for version, _ in envs.live_code("dev").values()} == set(second.versions.values())


def test_promotion_refuses_when_devs_last_execution_failed_verify(envs: TwoEnvironments) -> None:
    """A release whose unit tests pass but whose deployed function fails the smoke event."""
    prod_before = envs.live_code("prod")
    handler = envs.project.root / "services" / "location" / "src" / "location" / "get_location.py"
    handler.write_text(handler.read_text() + "\n\ndef handler(event, context):\n    raise RuntimeError('broken release')\n")
    envs.ok("stage", "deploy", "--service", "location", "--env", "dev", "--execution", "broken-release")
    failed = envs.run("stage", "verify", "--service", "location", "--env", "dev", "--execution", "broken-release")
    assert failed.returncode == 1 and "verify: smoke event" in failed.stderr and "live moved back" in failed.stderr
    assert (envs.last("dev").execution_id, envs.last("dev").result) == ("broken-release", "failed")

    refused = envs.run("promote", "--service", "location", "--from", "dev", "--to", "prod")

    assert refused.returncode == 1
    assert "last execution in dev (broken-release) did not pass: failed" in refused.stderr
    assert envs.live_code("prod") == prod_before
