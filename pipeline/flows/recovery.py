"""Recovering a service after a crash: a state its last apply could not save, a lock its deploy left."""

from __future__ import annotations

import getpass
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.aws import Identity, connect
from pipeline.changes import git
from pipeline.project.environments import get_environment
from pipeline.project.services import load_service
from pipeline.state.ledger import Ledger, LedgerEntry, StageRecord, new_execution_id
from pipeline.state.locks import HeldLock, force_unlock, heartbeat_seconds
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


@dataclass(frozen=True)
class Unlocked:
    """A forced release: the lock that was held and the ledger entry that records it."""

    held: HeldLock
    entry: LedgerEntry

    @property
    def stale(self) -> bool:
        return self.held.is_stale(heartbeat_seconds())


def release_lock(service_name: str, environment_name: str) -> Unlocked | None:
    """Delete the service's deploy lock whoever holds it and record that in the ledger; None if it was free.

    Raises ServiceNotFound, EnvironmentNotFound, InvalidSetting, or DeployLocked when the lock
    changed while it was being released.
    """
    environment = get_environment(environment_name)
    load_service(service_name)
    target = connect(environment).for_service(service_name)
    held = force_unlock(target, service_name)
    if held is None:
        return None
    now = time.time()
    detail = (f"released by {getpass.getuser()}@{socket.gethostname()}; held by {held.holder.describe()}, "
              f"last heartbeat {held.silent_s:.0f}s before")
    commit = git.head_commit()
    entry = LedgerEntry(
        execution_id=new_execution_id(), service=service_name, environment=environment_name,
        commit=commit, from_commit=bool(commit), result="released", started_at=now, finished_at=now,
        stages=(StageRecord("unlock", "succeeded", 0.0, detail, now),), kind="unlock",
        origin=held.holder.execution_id,
    )
    Ledger(target).record_unlock(entry)
    return Unlocked(held, entry)
