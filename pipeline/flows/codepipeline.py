"""The ops root ops/pipelines: one CodePipeline per service, its triggers generated from the tree."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.aws import Identity, Target
from pipeline.changes.dependencies import full_graph
from pipeline.changes.rules import PathFilter, path_filter
from pipeline.paths import PROJECT_ROOT
from pipeline.state.bootstrap import ensure_buckets
from pipeline.terraform.roots import ApplyResult, plan_and_apply, s3_backend, terraform_for
from pipeline.terraform.toolchain import Toolchain

PIPELINES_ROOT = PROJECT_ROOT / "ops" / "pipelines"


def trigger_filters(repo: Path = PROJECT_ROOT) -> dict[str, PathFilter]:
    """Every service's trigger globs, by service, from the change detection's own rules."""
    return {name: path_filter(name, uses) for name, uses in full_graph(repo).services.items()}


def pipeline_inputs(target: Target, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The root's variables: the environment's, the generated `services`, then ops' `settings`."""
    return {
        "environment": target.environment.name,
        "region": target.environment.region,
        "artifact_bucket": target.environment.artifact_bucket,
        "services": {
            name: {"trigger_paths": list(found.includes), "trigger_excludes": list(found.excludes)}
            for name, found in trigger_filters().items()
        },
        **settings,
    }


def apply_pipelines(target: Target, toolchain: Toolchain, settings: Mapping[str, Any] | None = None) -> ApplyResult:
    """Plan and apply ops/pipelines as ops; `settings` override ops/pipelines/terraform.tfvars.

    Raises BootstrapMissing outside `local` when the state bucket is missing, TerraformError.
    """
    ensure_buckets(target, toolchain)
    terraform = terraform_for(target, toolchain, PIPELINES_ROOT, Identity.OPS)
    return plan_and_apply(terraform, s3_backend(target, PIPELINES_ROOT), pipeline_inputs(target, settings or {}))
