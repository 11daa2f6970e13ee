"""The ops root ops/pipelines: one CodePipeline per service, its triggers generated from the tree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.aws import Identity, Target
from pipeline.bootstrap import apply_bootstrap, bucket_exists
from pipeline.dependencies import dependency_set, path_globs
from pipeline.errors import BootstrapMissing
from pipeline.paths import PROJECT_ROOT
from pipeline.roots import ApplyResult, plan_and_apply, s3_backend, terraform_for
from pipeline.services import load_service, service_names
from pipeline.toolchain import Toolchain

PIPELINES_ROOT = PROJECT_ROOT / "ops" / "pipelines"


def trigger_paths() -> dict[str, list[str]]:
    """Every service's trigger globs, by service. Raises ManifestError for a broken manifest."""
    return {name: list(path_globs(dependency_set(load_service(name)))) for name in service_names()}


def pipeline_inputs(target: Target, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The root's variables: the environment's, the generated `services`, then ops' `settings`."""
    return {
        "environment": target.environment.name,
        "region": target.environment.region,
        "artifact_bucket": target.environment.artifact_bucket,
        "services": {name: {"trigger_paths": paths} for name, paths in trigger_paths().items()},
        **settings,
    }


def apply_pipelines(target: Target, toolchain: Toolchain, settings: Mapping[str, Any] | None = None) -> ApplyResult:
    """Plan and apply ops/pipelines as ops; `settings` override ops/pipelines/terraform.tfvars.

    Raises BootstrapMissing outside `local` when the state bucket is missing, TerraformError.
    """
    environment = target.environment
    if not bucket_exists(target, environment.state_bucket):
        if not environment.emulator:
            raise BootstrapMissing(
                f"environment '{environment.name}' has no state bucket {environment.state_bucket}",
                f"ops must apply ops/bootstrap first: make bootstrap ENV={environment.name}",
            )
        apply_bootstrap(target, toolchain)
    terraform = terraform_for(target, toolchain, PIPELINES_ROOT, Identity.OPS)
    return plan_and_apply(terraform, s3_backend(target, PIPELINES_ROOT), pipeline_inputs(target, settings or {}))
