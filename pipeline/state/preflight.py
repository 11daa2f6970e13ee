"""Checks before a deploy runs any stage: the endpoint answers, state is versioned and locked.

Also notices a reset local emulator (it keeps everything in memory) and forgets the local
Terraform leftovers that described the old one, so the next deploy starts clean; and, in
`local` only, sets up what ops would otherwise provide.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from pipeline.aws import Identity, Target, as_pipeline_error
from pipeline.errors import IdentityError, PreflightFailed
from pipeline.paths import local_dir
from pipeline.project.services import Service
from pipeline.state.bootstrap import bootstrap_state_file, ensure_buckets, ensure_roles
from pipeline.terraform.roots import s3_backend
from pipeline.terraform.runner import ERRORED_STATE
from pipeline.terraform.toolchain import Toolchain

_TF_ARGS_VARIABLES = ("TF_CLI_ARGS", "TF_CLI_ARGS_plan", "TF_CLI_ARGS_apply")


def _checker(target: Target) -> Identity:
    """Who reads the state bucket for preflight: the deployer, except in `local`, where preflight
    runs before the deployer role exists and the pipeline acts as ops anyway."""
    return Identity.OPS if target.environment.emulator else Identity.DEPLOYER


def reach_state_bucket(target: Target) -> bool:
    """Whether the environment's state bucket exists. Raises PreflightFailed if nothing answers."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        target.client("s3", _checker(target)).head_bucket(Bucket=target.environment.state_bucket)
    except ClientError:
        return False
    except BotoCoreError as err:
        if isinstance(known := as_pipeline_error(err), IdentityError):  # no profile or credentials: not the network
            raise known from None
        where = target.endpoint or f"AWS ({target.environment.region})"
        start = ("start the emulator at that endpoint" if target.environment.endpoint else
                 "start the emulator (`python deploy.py emulator start`)")
        raise PreflightFailed(
            f"{where} does not answer for environment '{target.environment.name}': {err}",
            f"{start}, or check the network and credentials; nothing was uploaded or applied",
        ) from None
    return True


def check_state_safety(target: Target, backend: dict[str, str]) -> None:
    """Refuse when the state bucket is not versioned or state locking is turned off."""
    from botocore.exceptions import ClientError

    bucket = target.environment.state_bucket
    try:
        status = target.client("s3", _checker(target)).get_bucket_versioning(Bucket=bucket).get("Status")
    except ClientError as err:
        raise PreflightFailed(
            f"cannot read the versioning of state bucket {bucket}: {err.response.get('Error', {}).get('Code')}",
            "ops must grant the deployer s3:GetBucketVersioning on the state bucket",
        ) from None
    if status != "Enabled":
        raise PreflightFailed(
            f"state bucket {bucket} has versioning {'suspended' if status else 'off'}: "
            "a bad state write could not be rolled back",
            "ops must turn versioning on (ops/bootstrap does) before anything deploys",
        )
    if backend.get("use_lockfile") != "true":
        raise PreflightFailed("state locking is off for this backend (use_lockfile is not true)",
                              "restore `use_lockfile` in pipeline/terraform/roots.py s3_backend_at")
    for variable in _TF_ARGS_VARIABLES:
        if "-lock=false" in os.environ.get(variable, "").replace(" ", ""):
            raise PreflightFailed(f"{variable} turns state locking off (-lock=false)",
                                  f"unset {variable}: two applies could otherwise write one state at once")


def forget_reset_emulator(target: Target, state_bucket_exists: bool) -> list[Path]:
    """If the local emulator lost everything local folders remember, delete those memories.

    `state_bucket_exists` is ops' view (reach_state_bucket): a new service's deployer role does
    not exist before its first deploy applies ops/iam and would see no bucket in an intact
    environment. Returns what was removed (empty when nothing was reset): the bootstrap state and
    any kept errored state, which describe resources that no longer exist.
    """
    remembered = bootstrap_state_file(target)
    if not target.environment.emulator or state_bucket_exists or not remembered.exists():
        return []
    data_dirs = local_dir() / "terraform" / target.environment.name
    stale = [remembered, *sorted(data_dirs.glob(f"*/{ERRORED_STATE}"))]
    for path in stale:
        path.unlink()
    return stale


def preflight(target: Target, toolchain: Toolchain, service: Service, note: Callable[[str], None]) -> None:
    """Everything a deploy of `service` needs before its first stage, in the order it is needed.

    The endpoint answers; a reset local emulator's leftovers go; the buckets exist; the state
    bucket is versioned and locking is on (checked before ops' IAM state is written there);
    the service's roles exist. `note` hears what was done on the way. Raises PreflightFailed or
    BootstrapMissing; in `local` the missing pieces are applied as ops instead.
    """
    if target.emulator_started:
        note(f"started the local AWS emulator at {target.endpoint}")
    if target.emulator_note:
        note(target.emulator_note)
    if forget_reset_emulator(target, reach_state_bucket(target)):
        note("the local emulator was reset (it keeps everything in memory): bootstrapping again, "
             "and every service deploys as new")
    applied = ensure_buckets(target, toolchain)
    check_state_safety(target, s3_backend(target, service.infra_dir))
    for root in applied + ensure_roles(target, toolchain, service):
        note(f"applied {root} as ops (local environment only)")
