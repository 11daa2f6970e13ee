"""The test, package and deploy stages: a service's own tests, its artifact, what a deploy records, moving `live`."""

from __future__ import annotations

import uuid
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.aws import Identity, Target
from pipeline.errors import StageFailed
from pipeline.project.environments import get_environment
from pipeline.project.naming import artifact_key, function_name
from pipeline.project.services import load_service, manifest_document
from pipeline.stages.deploy import DeployOutcome, package, root_variables, run_tests, service_infra_hash, ship_code
from pipeline.state.ledger import LedgerEntry
from pipeline.terraform.roots import ApplyResult
from tests.pipeline.conftest import create_live_function, write_service


def test_package_builds_the_source_once_and_reuses_it(tmp_path: Path) -> None:
    write_service(tmp_path / "services", "alpha")
    service = load_service("alpha", tmp_path / "services")

    first = package(service, tmp_path / "cache")
    again = package(service, tmp_path / "cache")
    (service.source_dir / "alpha" / "handler.py").write_text("def handler(event, context):\n    return 2\n")
    changed = package(service, tmp_path / "cache")

    assert (first.cached, again.cached, changed.cached) == (False, True, False)
    assert again.artifact == first.artifact and changed.artifact.sha256 != first.artifact.sha256
    assert zipfile.ZipFile(first.artifact.path).namelist() == ["alpha/__init__.py", "alpha/handler.py"]


def test_the_test_stage_returns_pytests_summary_or_fails_with_its_output(tmp_path: Path) -> None:
    write_service(tmp_path / "services", "alpha")
    service = load_service("alpha", tmp_path / "services")

    assert run_tests(service).startswith("1 passed")

    (service.tests_dir / "test_broken.py").write_text("def test_broken():\n    assert 1 == 2, 'broken on purpose'\n")
    with pytest.raises(StageFailed, match="alpha's tests failed:(.|\n)*broken on purpose") as failed:
        run_tests(service)
    assert failed.value.hint == "fix the tests; nothing was packaged"


def test_a_service_without_tests_is_refused(tmp_path: Path) -> None:
    folder = write_service(tmp_path / "services", "alpha")
    for path in sorted((folder / "tests").iterdir()):
        path.unlink()
    (folder / "tests").rmdir()
    (folder / "service.yaml").write_text((folder / "service.yaml").read_text().split("smoke:")[0] + "functions:\n"
                                         "  echo:\n    handler: alpha.handler.handler\n")

    with pytest.raises(StageFailed, match="alpha has no tests/ folder"):
        run_tests(load_service("alpha", tmp_path / "services"))


def outcome(uploaded: bool = False, code_changed: bool = False, infra: ApplyResult | None = None) -> DeployOutcome:
    return DeployOutcome("services/a/x.zip", uploaded, "infra-hash", infra, {"get": "4"}, code_changed)


def test_a_deploy_changed_something_when_it_uploaded_moved_live_or_applied_changes() -> None:
    assert not outcome().changed
    assert not outcome(infra=ApplyResult(changed=False, plan_sha256="p")).changed
    assert outcome(uploaded=True).changed
    assert outcome(code_changed=True).changed
    assert outcome(infra=ApplyResult(changed=True, plan_sha256="p")).changed


def test_a_deploy_records_its_infra_hash_plan_and_versions_on_the_execution() -> None:
    running = LedgerEntry.start("a", "local", "", False)

    assert outcome(infra=ApplyResult(changed=True, plan_sha256="p" * 64)).recorded(running) == replace(
        running, infra_hash="infra-hash", plan_sha256="p" * 64, versions={"get": "4"}
    )
    assert outcome().recorded(running).plan_sha256 == ""


def test_the_infra_hash_follows_the_environment_and_the_manifest() -> None:
    location = load_service("location")
    local, dev = Target(get_environment("local")), Target(get_environment("dev"))

    assert service_infra_hash(local, location) == service_infra_hash(local, location)
    assert service_infra_hash(local, location) != service_infra_hash(dev, location)
    assert service_infra_hash(local, location) != service_infra_hash(local, load_service("profile"))
    assert root_variables(dev, location) == {"environment": "dev", "region": dev.environment.region,
                                             "artifact_bucket": dev.environment.artifact_bucket,
                                             "manifest": manifest_document(location)}
    assert set(root_variables(local, location)) == {"environment", "region", "artifact_bucket", "service_gateway_url",
                                                    "manifest"}


@pytest.mark.emulator
def test_shipping_code_moves_live_only_when_the_artifact_or_the_configuration_changed(
    bucket_target: Target, tmp_path: Path
) -> None:
    name = f"ship{uuid.uuid4().hex[:6]}"
    write_service(tmp_path / "services", name)
    service = load_service(name, tmp_path / "services")
    first = package(service, tmp_path / "cache").artifact
    deployed = function_name("local", name, "echo")
    create_live_function(bucket_target, deployed, first.path.read_bytes(), f"{name}.handler.handler")
    (service.source_dir / name / "handler.py").write_text("def handler(event, context):\n    return 'v2'\n")
    second = package(service, tmp_path / "cache").artifact
    key = artifact_key(name, second.sha256)
    bucket_target.client("s3", Identity.OPS).upload_file(str(second.path), bucket_target.environment.artifact_bucket, key)
    functions = bucket_target.client("lambda", Identity.OPS)

    unchanged = ship_code(bucket_target, service, first, artifact_key(name, first.sha256), force_publish=False)
    shipped = ship_code(bucket_target, service, second, key, force_publish=False)
    functions.update_function_configuration(FunctionName=deployed, MemorySize=256)  # as Terraform would
    functions.get_waiter("function_updated_v2").wait(FunctionName=deployed)
    republished = ship_code(bucket_target, service, second, key, force_publish=True)

    assert (unchanged.versions, unchanged.moved) == ({"echo": "1"}, False)
    assert (shipped.versions, shipped.moved) == ({"echo": "2"}, True)
    assert (republished.versions, republished.moved) == ({"echo": "3"}, True)
    live = functions.get_alias(FunctionName=deployed, Name="live")["FunctionVersion"]
    assert live == "3"
    assert functions.get_function_configuration(FunctionName=deployed, Qualifier=live)["CodeSha256"] == second.sha256_base64
