"""The walking skeleton: `deploy --service location` against a real emulator and real Terraform."""

from __future__ import annotations

import base64
import hashlib
import shutil
from pathlib import Path

import pytest

from pipeline.aws import Identity, Target
from pipeline.paths import local_dir
from pipeline.project.services import load_service
from pipeline.state.ledger import Ledger
from tests.e2e.conftest import Project, copy_project, executions_by_service, stage_detail

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def first_deploy(project: Project) -> str:
    result = project.deploy_py("deploy", "--service", "location")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def artifact_zip(project: Project, sha256: str) -> Path:
    for candidate in (project.root / ".local" / "cache" / "artifacts").glob("*.zip"):
        if hashlib.sha256(candidate.read_bytes()).hexdigest() == sha256:
            return candidate
    raise AssertionError(f"no cached artifact with sha256 {sha256}")


def test_functions_run_exactly_the_built_artifact(first_deploy: str, project: Project, local_target: Target) -> None:
    execution = Ledger(local_target.for_service("location")).last_success("location")
    assert execution is not None and execution.result == "succeeded"
    built = artifact_zip(project, execution.artifact_sha256).read_bytes()
    expected = base64.b64encode(hashlib.sha256(built).digest()).decode()

    lambda_client = local_target.client("lambda", Identity.OPS)
    for function in ("get_location", "put_location"):
        live = lambda_client.get_alias(FunctionName=f"local-location-{function}", Name="live")
        config = lambda_client.get_function_configuration(
            FunctionName=f"local-location-{function}", Qualifier=live["FunctionVersion"]
        )
        assert config["CodeSha256"] == expected
        assert config["TracingConfig"]["Mode"] == "Active"


def test_state_lives_in_the_emulators_state_bucket(first_deploy: str, local_target: Target) -> None:
    s3 = local_target.client("s3", Identity.OPS)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="local-terraform-state").get("Contents", [])]
    assert "services/location/infra/terraform.tfstate" in keys
    assert not [key for key in keys if key.endswith(".tflock")], "a lock was left behind"


def test_deploying_again_changes_nothing_and_says_so(first_deploy: str, project: Project) -> None:
    result = project.deploy_py("deploy", "--service", "location", "--json")

    assert result.returncode == 0, result.stderr
    execution = executions_by_service(result)["location"]
    assert stage_detail(execution, "deploy").startswith("no changes: live already serves this artifact")
    assert stage_detail(execution, "plan") == "infra inputs unchanged, Terraform skipped; no drift"


def test_an_unknown_service_lists_the_known_ones(project: Project) -> None:
    result = project.deploy_py("deploy", "--service", "nope")

    assert result.returncode == 2, "a usage error, refused before anything runs"
    assert "argument --service: unknown service 'nope'" in result.stderr
    assert "known services: " in result.stderr and "location" in result.stderr


def test_preflight_refuses_an_unversioned_state_bucket_before_any_stage_runs(
    project: Project, local_target: Target, tmp_path: Path
) -> None:
    local_target.client("s3", Identity.OPS).create_bucket(Bucket="unversioned-state")
    environments = tmp_path / "environments.toml"
    environments.write_text('[unsafe]\nemulator = true\nregion = "us-east-1"\n'
                            'state_bucket = "unversioned-state"\nartifact_bucket = "local-artifacts"\n')

    result = project.deploy_py("deploy", "--service", "location", "--env", "unsafe",
                               env={"DEPLOY_ENVIRONMENTS_FILE": str(environments)})

    assert result.returncode == 1
    assert "error: location: state bucket unversioned-state has versioning off" in result.stderr
    assert "[location] test skipped in 0.0s: refused before any stage ran" in result.stdout
    assert "passed" not in result.stdout and "Traceback" not in result.stderr


def test_a_failing_unit_test_stops_the_pipeline_before_anything_is_uploaded_or_applied(
    first_deploy: str, tmp_path: Path, local_target: Target
) -> None:
    broken = copy_project(tmp_path / "repo")
    (broken.root / "services" / "location" / "tests" / "test_broken.py").write_text(
        "def test_fails():\n    assert False\n"
    )
    handler = broken.root / "services" / "location" / "src" / "location" / "get_location.py"
    handler.write_text(handler.read_text() + "\n# a code change that must not ship\n")
    manifest = broken.root / "services" / "location" / "service.yaml"
    manifest.write_text(manifest.read_text().replace("memory_mb: 256", "memory_mb: 320", 1))
    s3 = local_target.client("s3", Identity.OPS)
    functions = local_target.client("lambda", Identity.OPS)
    artifacts_before = s3.list_objects_v2(Bucket="local-artifacts", Prefix="services/").get("KeyCount", 0)
    memory_before = {name: functions.get_function_configuration(FunctionName=name)["MemorySize"]
                     for name in ("local-location-get_location", "local-location-put_location")}

    result = broken.deploy_py("deploy", "--service", "location")

    assert result.returncode == 1
    assert "location's tests failed" in result.stderr
    # The plan stage may have run beside the tests (it only reads); deploy never started.
    assert "[location] deploy skipped" in result.stdout and "[location] verify skipped" in result.stdout
    assert s3.list_objects_v2(Bucket="local-artifacts", Prefix="services/").get("KeyCount", 0) == artifacts_before
    assert {name: functions.get_function_configuration(FunctionName=name)["MemorySize"]
            for name in memory_before} == memory_before
    failed = Ledger(local_target.for_service("location")).executions("location")[-1]
    assert failed.result == "failed" and "tests failed" in failed.error
    statuses = {stage.name: stage.status for stage in failed.stages}
    assert statuses["test"] == "failed" and statuses["deploy"] == statuses["verify"] == "skipped"
    assert not list(local_dir().rglob("*.tfplan")), "an unapplied plan was left behind"
    assert not s3.list_objects_v2(Bucket="local-artifacts", Prefix="locks/").get("KeyCount", 0)
    shutil.rmtree(broken.root)


def test_live_functions_carry_exactly_the_values_the_manifest_validated_to(
    first_deploy: str, project: Project, local_target: Target
) -> None:
    manifest = load_service("location", project.root / "services").manifest
    lambda_client = local_target.client("lambda", Identity.OPS)
    for name, function in manifest.functions.items():
        deployed = f"local-location-{name}"
        concurrency = lambda_client.get_function_concurrency(FunctionName=deployed)
        config = lambda_client.get_function_configuration(FunctionName=deployed)

        assert concurrency["ReservedConcurrentExecutions"] == function.reserved_concurrency
        assert (config["MemorySize"], config["Timeout"]) == (function.memory_mb, function.timeout_s)
