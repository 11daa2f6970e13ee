"""Checks before a deploy touches anything: the endpoint answers, state is versioned and locked.

Also notices a reset local emulator (it keeps everything in memory) and forgets the local
Terraform leftovers that described the old one, so the next deploy starts clean.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.aws import Identity, Target
from pipeline.bootstrap import bootstrap_state_file, bucket_exists
from pipeline.errors import PreflightFailed
from pipeline.paths import local_dir
from pipeline.terraform import ERRORED_STATE

_TF_ARGS_VARIABLES = ("TF_CLI_ARGS", "TF_CLI_ARGS_plan", "TF_CLI_ARGS_apply")


def reach_state_bucket(target: Target) -> bool:
    """Whether the environment's state bucket exists. Raises PreflightFailed if nothing answers."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        target.client("s3", Identity.DEPLOYER).head_bucket(Bucket=target.environment.state_bucket)
    except ClientError:
        return False
    except BotoCoreError as err:
        where = target.endpoint or f"AWS ({target.environment.region})"
        raise PreflightFailed(
            f"{where} does not answer for environment '{target.environment.name}': {err}",
            "start the emulator (`python deploy.py emulator start`), or check the network and credentials; "
            "nothing was uploaded or applied",
        ) from None
    return True


def check_state_safety(target: Target, backend: dict[str, str]) -> None:
    """Refuse when the state bucket is not versioned or state locking is turned off."""
    from botocore.exceptions import ClientError

    bucket = target.environment.state_bucket
    try:
        status = target.client("s3", Identity.DEPLOYER).get_bucket_versioning(Bucket=bucket).get("Status")
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
                              "restore `use_lockfile` in pipeline/roots.py s3_backend_at")
    for variable in _TF_ARGS_VARIABLES:
        if "-lock=false" in os.environ.get(variable, "").replace(" ", ""):
            raise PreflightFailed(f"{variable} turns state locking off (-lock=false)",
                                  f"unset {variable}: two applies could otherwise write one state at once")


def forget_reset_emulator(target: Target, state_bucket_exists: bool) -> list[Path]:
    """If the local emulator lost everything local folders remember, delete those memories.

    `state_bucket_exists` is what the deploying identity saw. A new service's deployer role does
    not exist before its first deploy applies ops/iam, so it sees no bucket either: ops look
    again before anything is deleted. Returns what was removed (empty when nothing was reset):
    the bootstrap state and any kept errored state, which describe resources that no longer exist.
    """
    remembered = bootstrap_state_file(target)
    if not target.environment.emulator or state_bucket_exists or not remembered.exists():
        return []
    if bucket_exists(target, target.environment.state_bucket):
        return []
    data_dirs = local_dir() / "terraform" / target.environment.name
    stale = [remembered, *sorted(data_dirs.glob(f"*/{ERRORED_STATE}"))]
    for path in stale:
        path.unlink()
    return stale
