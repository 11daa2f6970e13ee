"""Recovering a service whose last apply could not save its Terraform state."""

from __future__ import annotations

from pathlib import Path

from pipeline.aws import Identity, connect
from pipeline.project.environments import get_environment
from pipeline.project.services import load_service
from pipeline.terraform.roots import terraform_for
from pipeline.terraform.toolchain import ensure_toolchain


def push_unsaved_state(service_name: str, environment_name: str) -> Path | None:
    """Push the state kept after a failed save into the backend; returns its path, or None if none.

    Raises ServiceNotFound, EnvironmentNotFound, or TerraformError when the backend refuses it
    (for instance when the remote state moved on since).
    """
    environment = get_environment(environment_name)
    service = load_service(service_name)
    target = connect(environment).for_service(service_name)
    terraform = terraform_for(target, ensure_toolchain(), service.infra_dir, Identity.DEPLOYER)
    kept = terraform.errored_state
    if not kept.exists():
        return None
    terraform.push_errored_state()
    return kept
