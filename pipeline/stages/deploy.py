"""The stages one service passes through: test, package, deploy. Each returns a typed value."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.aws import Identity, Target
from pipeline.errors import StageFailed
from pipeline.policy.plan_policy import plan_guard
from pipeline.project.environments import infra_variables
from pipeline.project.locks import merged_lock
from pipeline.project.naming import artifact_key, function_name
from pipeline.project.services import Service, manifest_document
from pipeline.stages.live_config import refuse_drifted_functions
from pipeline.stages.package import Artifact, Build, PackageInputs, build, source_files
from pipeline.stages.sbom import sbom_json, sbom_key
from pipeline.state.ledger import LedgerEntry
from pipeline.terraform.roots import (
    ApplyResult,
    ReviewedPlan,
    apply_reviewed,
    infra_hash,
    plan_reviewed,
    s3_backend,
    state_key,
    terraform_for,
)
from pipeline.terraform.toolchain import Toolchain

ALIAS = "live"
_TEST_OUTPUT_LINES = 30


@dataclass(frozen=True)
class DeployPlan:
    """What deploying an artifact will change, decided and reviewed before anything is written."""

    artifact_key: str
    infra_hash: str
    infra: ReviewedPlan | None  # None: infra inputs unchanged, Terraform skipped

    def discard(self) -> None:
        if self.infra is not None:
            self.infra.discard()


@dataclass(frozen=True)
class DeployOutcome:
    artifact_key: str
    uploaded: bool
    infra_hash: str
    infra: ApplyResult | None  # None: infra inputs unchanged, Terraform skipped
    versions: dict[str, str]  # function -> version `live` now serves
    code_changed: bool

    @property
    def changed(self) -> bool:
        return self.uploaded or self.code_changed or (self.infra is not None and self.infra.changed)

    def recorded(self, entry: LedgerEntry) -> LedgerEntry:
        """`entry` with what this deploy left behind: infra hash, applied plan and the versions `live` serves."""
        return replace(entry, infra_hash=self.infra_hash, plan_sha256=self.infra.plan_sha256 if self.infra else "",
                       versions=self.versions)


@dataclass(frozen=True)
class ShippedCode:
    versions: dict[str, str]  # function -> version `live` now serves
    moved: bool  # whether any function's `live` moved


def _test_environment(service: Service) -> dict[str, str]:
    """The caller's environment without any AWS setting: unit tests must never follow a developer's
    endpoint, profile or credentials to a real or emulated AWS (they set their own fake ones)."""
    env = {name: value for name, value in os.environ.items() if not name.upper().startswith("AWS_")}
    env.update(
        PYTHONPATH=os.pathsep.join(map(str, [service.source_dir, *service.lib_dirs])),
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def run_tests(service: Service) -> str:
    """Run the service's own tests with only its own source on the path and no AWS settings of the caller's.

    Returns pytest's summary line. Raises StageFailed with the failing output.
    """
    if not service.tests_dir.is_dir():
        raise StageFailed(f"test: {service.name} has no tests/ folder", "add tests under services/<name>/tests")
    env = _test_environment(service)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(service.tests_dir)]
    result = subprocess.run(command, cwd=service.folder, env=env, capture_output=True, text=True)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0:
        tail = "\n".join(lines[-_TEST_OUTPUT_LINES:])
        raise StageFailed(f"test: {service.name}'s tests failed:\n{tail}", "fix the tests; nothing was packaged")
    return lines[-1] if lines else ""


def package(service: Service, cache_dir: Path) -> Build:
    """Build (or reuse from cache) the service's artifact.

    Raises DependencyLockError (file:line) for a runtime requirement that is not pinned and hashed,
    StageFailed on install errors.
    """
    files = source_files(service.source_dir)
    requirement_files = [service.requirements_file]
    for lib_dir in service.lib_dirs:
        files += [(f"{lib_dir.name}/{name}", path) for name, path in source_files(lib_dir / lib_dir.name)]
        requirement_files.append(lib_dir / "requirements.txt")
    requirements = merged_lock([path for path in requirement_files if path.is_file()])
    inputs = PackageInputs(files=tuple(sorted(files)), requirements=requirements, runtime=service.manifest.runtime)
    return build(inputs, cache_dir)


def _upload(target: Target, service: Service, artifact: Artifact, key: str) -> bool:
    """Store the artifact under `key` unless it is there already; returns whether it was uploaded."""
    from botocore.exceptions import ClientError

    s3 = target.client("s3", Identity.DEPLOYER)
    bucket = target.environment.artifact_bucket
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return False
    except ClientError:
        # The SBOM goes first: wherever an artifact is, its bill of materials is beside it.
        sbom = sbom_json(service.name, artifact.path, artifact.sha256, service.manifest.libs).encode()
        s3.put_object(Bucket=bucket, Key=sbom_key(key), Body=sbom, ContentType="application/vnd.cyclonedx+json")
        s3.upload_file(str(artifact.path), bucket, key)
        return True


def ship_code(target: Target, service: Service, artifact: Artifact, key: str, force_publish: bool,
              first_percent: int = 100) -> ShippedCode:
    """Point every function's `live` alias at a version running `artifact`.

    A function whose `live` version already runs the artifact is left alone unless Terraform
    just changed its configuration (`force_publish`). With `first_percent` below 100 (a rollout),
    `live` keeps its version and sends that share of traffic to the new one.
    """
    client = target.client("lambda", Identity.DEPLOYER)
    versions: dict[str, str] = {}
    moved = False
    for function in service.manifest.functions:
        name = function_name(target.environment.name, service.name, function)
        live_version = client.get_alias(FunctionName=name, Name=ALIAS)["FunctionVersion"]
        live = client.get_function_configuration(FunctionName=name, Qualifier=live_version)
        if live["CodeSha256"] == artifact.sha256_base64 and not force_publish:
            versions[function] = live_version
            continue
        latest = client.get_function_configuration(FunctionName=name)
        if latest["CodeSha256"] != artifact.sha256_base64:
            client.update_function_code(FunctionName=name, S3Bucket=target.environment.artifact_bucket, S3Key=key)
            client.get_waiter("function_updated_v2").wait(FunctionName=name)
        version = client.publish_version(FunctionName=name, CodeSha256=artifact.sha256_base64)["Version"]
        client.update_alias(FunctionName=name, Name=ALIAS, **alias_routing(live_version, version, first_percent))
        versions[function] = version
        moved = True
    return ShippedCode(versions, moved)


def alias_routing(old: str, new: str, percent: int) -> dict[str, Any]:
    """update_alias arguments sending `percent` of traffic to version `new` and the rest to `old`."""
    if percent >= 100 or old == new:
        return {"FunctionVersion": new, "RoutingConfig": {"AdditionalVersionWeights": {}}}
    return {"FunctionVersion": old, "RoutingConfig": {"AdditionalVersionWeights": {new: percent / 100}}}


def root_variables(target: Target, service: Service) -> dict[str, Any]:
    """The variables a service root gets (the artifact key aside): the environment's and the validated manifest.

    Raises ManifestError if service.yaml no longer validates.
    """
    return {"environment": target.environment.name, "region": target.environment.region,
            "artifact_bucket": target.environment.artifact_bucket, **infra_variables(target.environment),
            "manifest": manifest_document(service)}


def service_infra_hash(target: Target, service: Service) -> str:
    """The digest of the service's infra inputs in this environment, as the ledger records it."""
    return infra_hash(service.infra_dir, [service.folder / "service.yaml"], root_variables(target, service))


def plan_deploy(
    target: Target, toolchain: Toolchain, service: Service, artifact: Artifact, last: LedgerEntry | None
) -> DeployPlan:
    """Decide what deploying `artifact` changes, writing nothing: the plan stage.

    When the infra inputs changed since `last`: a saved plan of the service root that passed the
    plan policy. Otherwise Terraform is skipped and the code-only path checks for drift.
    Raises TerraformError, PolicyViolation for a refused plan, or DriftDetected when functions
    were reconfigured outside Terraform.
    """
    key = artifact_key(service.name, artifact.sha256)
    current_hash = service_infra_hash(target, service)
    if last is not None and last.infra_hash == current_hash:
        refuse_drifted_functions(target, state_key(service.infra_dir), service.name)
        return DeployPlan(key, current_hash, None)
    terraform = terraform_for(target, toolchain, service.infra_dir, Identity.DEPLOYER)
    reviewed = plan_reviewed(terraform, s3_backend(target, service.infra_dir),
                             {**root_variables(target, service), "artifact_key": key}, plan_guard(service.name))
    return DeployPlan(key, current_hash, reviewed)


def apply_deploy(target: Target, service: Service, artifact: Artifact, plan: DeployPlan,
                 first_percent: int = 100) -> DeployOutcome:
    """Upload the artifact, apply the reviewed plan if there is one, then move `live`: the deploy stage.

    With `first_percent` below 100, `live` sends only that share to the new versions (a rollout's first step).
    Raises TerraformError (StalePlan, PartialApply, StateNotSaved among them) from the apply.
    """
    uploaded = _upload(target, service, artifact, plan.artifact_key)
    infra = apply_reviewed(plan.infra) if plan.infra is not None else None
    shipped = ship_code(target, service, artifact, plan.artifact_key,
                        force_publish=infra is not None and infra.changed, first_percent=first_percent)
    return DeployOutcome(plan.artifact_key, uploaded, plan.infra_hash, infra, shipped.versions, shipped.moved)


def deploy(
    target: Target, toolchain: Toolchain, service: Service, artifact: Artifact, last: LedgerEntry | None,
    first_percent: int = 100,
) -> DeployOutcome:
    """Plan and carry out the deploy in one step; raises what plan_deploy and apply_deploy raise."""
    return apply_deploy(target, service, artifact, plan_deploy(target, toolchain, service, artifact, last), first_percent)
