"""Ops foundations an environment needs before any service deploys: buckets, then roles.

In `local` the pipeline applies them itself, as the ops identity, and says so. Anywhere else
they are ops' to review and apply, and a missing piece stops the deploy with what to run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline import emulator
from pipeline.aws import Identity, Target
from pipeline.errors import BootstrapMissing
from pipeline.paths import PROJECT_ROOT, local_dir
from pipeline.project.naming import deployer_role_name, role_name
from pipeline.project.services import SERVICES_DIR, Service, load_service, manifest_document, service_names
from pipeline.terraform.roots import plan_and_apply, s3_backend, terraform_for
from pipeline.terraform.toolchain import Toolchain

BOOTSTRAP_ROOT = PROJECT_ROOT / "ops" / "bootstrap"
IAM_ROOT = PROJECT_ROOT / "ops" / "iam"
ALERTS_ROOT = PROJECT_ROOT / "ops" / "alerts"


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
    roles = [role_name(target.environment.name, service.name, function) for function in service.manifest.functions]
    for name in [*roles, deployer_role_name(target.environment.name, service.name)]:
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


def iam_variables(target: Target, services_dir: Path = SERVICES_DIR) -> dict[str, Any]:
    """Inputs of ops/iam in this environment, from the manifests under `services_dir`.

    Deployers trust the embedded emulator's developer user, an external endpoint's configured
    identity (the pipeline assumes them as it), and environments.toml's deployer_principals in AWS;
    every service's manifest goes in as validated. Raises BootstrapMissing when an AWS environment
    lists none, ManifestError for an invalid manifest.
    """
    environment = target.environment
    if environment.endpoint is not None:
        principals = [target.client("sts", Identity.OPS).get_caller_identity()["Arn"]]
    elif environment.emulator:
        developer = target.client("iam", Identity.OPS).get_user(UserName=emulator.DEVELOPER_USER)
        principals = [developer["User"]["Arn"]]
    else:
        principals = list(environment.deployer_principals)
    if not principals:
        raise BootstrapMissing(
            f"environments.toml: [{environment.name}] lists no deployer_principals",
            "add the ARN of the role CI deploys as (deployer_principals = [\"arn:aws:iam::...:role/ci\"])",
        )
    return {
        "environment": environment.name,
        "region": environment.region,
        "artifact_bucket": environment.artifact_bucket,
        "state_bucket": environment.state_bucket,
        "deployer_trusted_principals": principals,
        "manifests": {name: manifest_document(load_service(name, services_dir)) for name in service_names(services_dir)},
    }


def apply_iam(target: Target, toolchain: Toolchain) -> None:
    """Create (or converge) the boundary, every function's role and every service's deployer."""
    terraform = terraform_for(target, toolchain, IAM_ROOT, Identity.OPS)
    plan_and_apply(terraform, s3_backend(target, IAM_ROOT), iam_variables(target))


def alerts_topic_name(environment: str) -> str:
    """The topic every service's alarms notify (modules/service finds it by this name)."""
    return f"{environment}-alerts"


def alerts_variables(target: Target) -> dict[str, Any]:
    """Inputs of ops/alerts: the environment's alert_subscriptions ("protocol:endpoint") split."""
    environment = target.environment
    subscriptions = [dict(zip(("protocol", "endpoint"), item.split(":", 1))) for item in environment.alert_subscriptions]
    return {"environment": environment.name, "region": environment.region, "subscriptions": subscriptions}


def apply_alerts(target: Target, toolchain: Toolchain) -> None:
    """Create (or converge) the environment's alerts topic and its subscriptions."""
    terraform = terraform_for(target, toolchain, ALERTS_ROOT, Identity.OPS)
    plan_and_apply(terraform, s3_backend(target, ALERTS_ROOT), alerts_variables(target))


def _topic_exists(target: Target) -> bool:
    suffix = ":" + alerts_topic_name(target.environment.name)
    pages = target.client("sns", Identity.OPS).get_paginator("list_topics").paginate()
    return any(topic["TopicArn"].endswith(suffix) for page in pages for topic in page.get("Topics", []))


def ensure_alerts(target: Target, toolchain: Toolchain) -> list[str]:
    """Make sure the alerts topic exists; returns the ops roots applied. Raises BootstrapMissing outside `local`."""
    if _topic_exists(target):
        return []
    name = target.environment.name
    return _applied_locally(
        target, "ops/alerts", lambda: apply_alerts(target, toolchain),
        f"environment '{name}' has no alerts topic {alerts_topic_name(name)}: service alarms would notify nobody",
        f"ops must apply ops/alerts: make alerts-apply ENV={name}",
    )


def _applied_locally(target: Target, root: str, apply: Callable[[], None], missing: str, hint: str) -> list[str]:
    """In `local` apply ops' `root` as ops and return it; elsewhere ops must: raise BootstrapMissing."""
    if not target.environment.emulator:
        raise BootstrapMissing(missing, hint)
    apply()
    return [root]


def ensure_buckets(target: Target, toolchain: Toolchain) -> list[str]:
    """Make sure the state and artifact buckets exist; returns the ops roots applied to get there.

    Raises BootstrapMissing outside `local` when they are missing.
    """
    environment = target.environment
    if _bucket_exists(target, environment.state_bucket):
        return []
    return _applied_locally(
        target, "ops/bootstrap", lambda: apply_bootstrap(target, toolchain),
        f"environment '{environment.name}' has no state bucket {environment.state_bucket}",
        f"ops must apply ops/bootstrap first: make bootstrap ENV={environment.name}",
    )


def ensure_roles(target: Target, toolchain: Toolchain, service: Service) -> list[str]:
    """Make sure `service`'s function roles and its deployer exist; returns the ops roots applied.

    Raises BootstrapMissing outside `local` when something is missing.
    """
    environment = target.environment
    missing = _missing_roles(target, service)
    if not missing:
        return []
    return _applied_locally(
        target, "ops/iam", lambda: apply_iam(target, toolchain),
        f"roles missing in '{environment.name}': {', '.join(missing)}",
        f"ops must review and apply ops/iam: make iam-plan ENV={environment.name}, "
        f"then make iam-apply ENV={environment.name}",
    )
