"""Ops foundations an environment needs before any service deploys: buckets, then roles.

In `local` the pipeline applies them itself, as the ops identity, and says so. Anywhere else
they are ops' to review and apply, and a missing piece stops the deploy with what to run.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.aws import Identity, Target
from pipeline.errors import BootstrapMissing
from pipeline.naming import role_name
from pipeline.paths import PROJECT_ROOT, local_dir
from pipeline.roots import plan_and_apply, s3_backend, terraform_for
from pipeline.services import Service
from pipeline.toolchain import Toolchain

BOOTSTRAP_ROOT = PROJECT_ROOT / "ops" / "bootstrap"
IAM_ROOT = PROJECT_ROOT / "ops" / "iam"


def bootstrap_state_file(target: Target) -> Path:
    return local_dir() / "state" / target.environment.name / "bootstrap.tfstate"


def _bucket_exists(target: Target, bucket: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        target.client("s3", Identity.OPS).head_bucket(Bucket=bucket)
    except ClientError:
        return False
    return True


def _missing_roles(target: Target, service: Service) -> list[str]:
    iam = target.client("iam", Identity.OPS)
    missing = []
    for function in service.manifest.functions:
        name = role_name(target.environment.name, service.name, function)
        try:
            iam.get_role(RoleName=name)
        except iam.exceptions.NoSuchEntityException:
            missing.append(name)
    return missing


def apply_bootstrap(target: Target, toolchain: Toolchain) -> None:
    """Create (or converge) the state and artifact buckets."""
    environment = target.environment
    terraform = terraform_for(target, toolchain, BOOTSTRAP_ROOT, Identity.OPS)
    bootstrap_state_file(target).parent.mkdir(parents=True, exist_ok=True)
    plan_and_apply(
        terraform,
        {"path": str(bootstrap_state_file(target))},
        {
            "environment": environment.name,
            "region": environment.region,
            "state_bucket": environment.state_bucket,
            "artifact_bucket": environment.artifact_bucket,
        },
    )


def apply_iam(target: Target, toolchain: Toolchain) -> None:
    """Create (or converge) every service's execution roles."""
    terraform = terraform_for(target, toolchain, IAM_ROOT, Identity.OPS)
    plan_and_apply(
        terraform,
        s3_backend(target, IAM_ROOT),
        {"environment": target.environment.name, "region": target.environment.region},
    )


def ensure_buckets(target: Target, toolchain: Toolchain) -> bool:
    """Make sure the state bucket exists; returns whether ops/bootstrap was applied for it.

    Raises BootstrapMissing outside `local` when it is missing.
    """
    environment = target.environment
    if _bucket_exists(target, environment.state_bucket):
        return False
    if not environment.emulator:
        raise BootstrapMissing(
            f"environment '{environment.name}' has no state bucket {environment.state_bucket}",
            f"ops must apply ops/bootstrap first: make bootstrap ENV={environment.name}",
        )
    apply_bootstrap(target, toolchain)
    return True


def ensure_foundations(target: Target, toolchain: Toolchain, service: Service) -> list[str]:
    """Make sure buckets and `service`'s roles exist; returns the ops roots applied to get there.

    Raises BootstrapMissing outside `local` when something is missing.
    """
    environment = target.environment
    applied = ["ops/bootstrap"] if ensure_buckets(target, toolchain) else []
    missing = _missing_roles(target, service)
    if missing:
        if not environment.emulator:
            raise BootstrapMissing(
                f"execution roles missing in '{environment.name}': {', '.join(missing)}",
                f"ops must review and apply ops/iam: make iam-plan ENV={environment.name}, then make iam-apply",
            )
        apply_iam(target, toolchain)
        applied.append("ops/iam")
    return applied
