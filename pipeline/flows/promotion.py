"""Promotion and rollback: move what passed in one environment to the next, or `live` back.

A promotion never rebuilds: it copies the exact artifact the source environment's last passing
execution deployed (checked by SHA-256) and refuses unless the checkout's infra inputs are the
ones that passed there. A rollback only moves `live` aliases to versions the ledger recorded.
Both are executions in the ledger (`kind` promote / rollback), so `history` shows them.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from pipeline.aws import Identity, Target, connect
from pipeline.errors import PipelineError, PromotionRefused, RollbackImpossible
from pipeline.project.environments import get_environment
from pipeline.project.naming import function_name
from pipeline.project.services import Service, load_service
from pipeline.stages.deploy import ALIAS, deploy, service_infra_hash
from pipeline.stages.package import Artifact
from pipeline.stages.verify import live_versions, verify
from pipeline.state.ledger import Ledger, LedgerEntry, StageRecord, new_execution_id
from pipeline.state.locks import LOCK_TIMEOUT_S, service_lock
from pipeline.state.preflight import preflight
from pipeline.terraform.toolchain import ensure_toolchain


def _service_target(service: str, environment: str) -> Target:
    return connect(get_environment(environment)).for_service(service)


def _promotable(service: Service, source: Target, ledger: Ledger) -> LedgerEntry:
    """The source environment's newest execution, if it passed and matches this checkout's infra."""
    environment = source.environment.name
    executions = ledger.executions(service.name)
    if not executions:
        raise PromotionRefused(
            f"promote: {service.name} has never been deployed to {environment}",
            f"deploy it there first: deploy.py deploy --service {service.name} --env {environment}",
        )
    last = executions[-1]
    if last.result != "succeeded" or not last.artifact_sha256:
        raise PromotionRefused(
            f"promote: {service.name}'s last execution in {environment} ({last.execution_id}) did not pass: {last.result}"
            + (f" ({last.error.splitlines()[0]})" if last.error else ""),
            f"fix it and deploy to {environment} again; only a passing execution is promoted",
        )
    if last.infra_hash != service_infra_hash(source, service):
        raise PromotionRefused(
            f"promote: services/{service.name} infra inputs in this checkout differ from those that passed in "
            f"{environment} (execution {last.execution_id}, commit {last.commit[:12] or 'none'})",
            f"check out commit {last.commit[:12] or 'of that execution'} to promote it, or deploy this checkout to {environment} first",
        )
    return last


def _fetch_artifact(source: Target, service: Service, passed: LedgerEntry, folder: Path) -> Artifact:
    """Download the artifact the execution deployed and check its SHA-256. Raises PromotionRefused."""
    from botocore.exceptions import ClientError

    key = f"services/{service.name}/{passed.artifact_sha256}.zip"
    path = folder / f"{passed.artifact_sha256}.zip"
    try:
        source.client("s3", Identity.DEPLOYER).download_file(source.environment.artifact_bucket, key, str(path))
    except ClientError as err:
        raise PromotionRefused(
            f"promote: artifact s3://{source.environment.artifact_bucket}/{key} cannot be read: {err}",
            "the artifact bucket must keep every artifact a passing execution deployed",
        ) from None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != passed.artifact_sha256:
        raise PromotionRefused(
            f"promote: s3://{source.environment.artifact_bucket}/{key} has SHA-256 {digest}, not {passed.artifact_sha256}",
            "the stored artifact was changed; deploy to the source environment again",
        )
    return Artifact(path=path, sha256=digest, inputs_hash="")


def promote(service_name: str, from_environment: str, to_environment: str) -> LedgerEntry:
    """Deploy to `to_environment` exactly what last passed in `from_environment`, then verify it.

    Raises PromotionRefused (nothing changed), EnvironmentNotFound, ServiceNotFound,
    PreflightFailed, BootstrapMissing, DeployLocked, TerraformError or StageFailed (recorded as a
    failed promote).
    """
    if from_environment == to_environment:
        raise PromotionRefused(f"promote: --from and --to are both '{to_environment}'", "promote between two environments")
    service = load_service(service_name)
    source = _service_target(service_name, from_environment)
    target = _service_target(service_name, to_environment)
    passed = _promotable(service, source, Ledger(source))
    toolchain = ensure_toolchain()
    preflight(target, toolchain, service, lambda message: None)
    ledger = Ledger(target)
    entry = LedgerEntry(
        execution_id=new_execution_id(), service=service_name, environment=to_environment,
        commit=passed.commit, from_commit=passed.from_commit, result="running", started_at=time.time(),
        finished_at=0.0, artifact_sha256=passed.artifact_sha256, kind="promote",
        origin=f"{from_environment}:{passed.execution_id}",
    )
    records: list[StageRecord] = []
    with tempfile.TemporaryDirectory() as folder, \
            service_lock(target, service_name, entry.execution_id, LOCK_TIMEOUT_S, lambda holder: None):
        try:
            artifact = _fetch_artifact(source, service, passed, Path(folder))
            previous = live_versions(target, service)
            started = time.time()
            outcome = deploy(target, toolchain, service, artifact, ledger.last_success(service_name))
            records.append(StageRecord("deploy", "succeeded", time.time() - started, f"artifact from {entry.origin}", started))
            started = time.time()
            records.append(StageRecord("verify", "succeeded", time.time() - started, verify(target, service, previous), started))
        except PipelineError as err:
            ledger.record(replace(entry, result="failed", finished_at=time.time(), stages=tuple(records), error=err.message))
            raise
        finished = replace(entry, result="succeeded", finished_at=time.time(), stages=tuple(records),
                           infra_hash=outcome.infra_hash, versions=outcome.versions,
                           plan_sha256=outcome.infra.plan_sha256 if outcome.infra else "")
        ledger.record(finished)
    return finished


def _rollback_point(executions: list[LedgerEntry], live: dict[str, str], to_execution: str | None) -> LedgerEntry:
    restorable = [entry for entry in executions if entry.result == "succeeded" and entry.versions]
    if to_execution:
        chosen = next((entry for entry in restorable if entry.execution_id == to_execution), None)
        if chosen is None:
            raise RollbackImpossible(
                f"rollback: no passing execution {to_execution} with recorded versions",
                "pick one from `deploy.py history` whose result is succeeded",
            )
        return chosen
    earlier = [entry for entry in restorable if entry.versions != live]
    if not earlier:
        raise RollbackImpossible("rollback: the ledger records no earlier version than what `live` serves now",
                                 "nothing to roll back to; deploy a fix instead")
    return earlier[-1]


def rollback(service_name: str, environment_name: str, to_execution: str | None = None) -> LedgerEntry:
    """Move every function's `live` alias to the versions an earlier passing execution recorded.

    Without `to_execution`, the newest passing execution whose versions differ from what `live`
    serves now. Raises RollbackImpossible, EnvironmentNotFound, ServiceNotFound, DeployLocked.
    """
    service = load_service(service_name)
    target = _service_target(service_name, environment_name)
    ledger = Ledger(target)
    started = time.time()
    execution_id = new_execution_id()
    with service_lock(target, service_name, execution_id, LOCK_TIMEOUT_S, lambda holder: None):
        chosen = _rollback_point(ledger.executions(service_name), live_versions(target, service), to_execution)
        current = ledger.last_success(service_name)
        client = target.client("lambda", Identity.DEPLOYER)
        for function, version in sorted(chosen.versions.items()):
            client.update_alias(FunctionName=function_name(environment_name, service_name, function), Name=ALIAS,
                                FunctionVersion=version)
        moved = ", ".join(f"{function}@{version}" for function, version in sorted(chosen.versions.items()))
        entry = LedgerEntry(
            execution_id=execution_id, service=service_name, environment=environment_name,
            commit=chosen.commit, from_commit=chosen.from_commit, result="succeeded", started_at=started,
            finished_at=time.time(), artifact_sha256=chosen.artifact_sha256, versions=dict(chosen.versions),
            # Infra stays as it is; only code moved back, so the next deploy compares with today's infra.
            infra_hash=current.infra_hash if current else "", kind="rollback", origin=chosen.execution_id,
            stages=(StageRecord("rollback", "succeeded", time.time() - started, f"live -> {moved}", started),),
        )
        ledger.record(entry)
    return entry
