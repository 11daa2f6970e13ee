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
from pipeline.project.naming import artifact_key, function_name
from pipeline.project.services import Service, load_service
from pipeline.stages.deploy import ALIAS, deploy, service_infra_hash
from pipeline.stages.package import Artifact
from pipeline.stages.rollout import first_share, verify_and_roll_out
from pipeline.stages.verify import live_versions
from pipeline.state.ledger import Ledger, LedgerEntry, StageRecord, version_labels
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

    key = artifact_key(service.name, passed.artifact_sha256)
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
    entry = LedgerEntry.start(
        service_name, to_environment, passed.commit, passed.from_commit, kind="promote",
        origin=f"{from_environment}:{passed.execution_id}", artifact_sha256=passed.artifact_sha256,
    )
    records: list[StageRecord] = []
    shifts: list[str] = []  # a rollout's traffic shifts, as the ledger records them
    with tempfile.TemporaryDirectory() as folder, \
            service_lock(target, service_name, entry.execution_id, LOCK_TIMEOUT_S, lambda holder: None):
        try:
            artifact = _fetch_artifact(source, service, passed, Path(folder))
            previous = live_versions(target, service)
            started = time.time()
            outcome = deploy(target, toolchain, service, artifact, ledger.last_success(service_name),
                             first_share(service.manifest.rollout_in(to_environment), previous))
            records.append(StageRecord.ended("deploy", "succeeded", started, f"artifact from {entry.origin}"))
            started = time.time()
            checked = verify_and_roll_out(target, service, previous, outcome.versions, shifts.append)
            records.append(StageRecord.ended("verify", "succeeded", started, checked))
        except PipelineError as err:
            ledger.record(replace(entry.fail(tuple(records), err.message), shifts=tuple(shifts)))
            raise
        finished = replace(outcome.recorded(entry).succeed(tuple(records)), shifts=tuple(shifts))
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
    running = LedgerEntry.start(service_name, environment_name, "", False, kind="rollback")
    with service_lock(target, service_name, running.execution_id, LOCK_TIMEOUT_S, lambda holder: None):
        chosen = _rollback_point(ledger.executions(service_name), live_versions(target, service), to_execution)
        current = ledger.last_success(service_name)
        client = target.client("lambda", Identity.DEPLOYER)
        for function, version in sorted(chosen.versions.items()):
            client.update_alias(FunctionName=function_name(environment_name, service_name, function), Name=ALIAS,
                                FunctionVersion=version)
        moved = StageRecord.ended("rollback", "succeeded", running.started_at, f"live -> {version_labels(chosen.versions)}")
        entry = replace(
            running, commit=chosen.commit, from_commit=chosen.from_commit, artifact_sha256=chosen.artifact_sha256,
            versions=dict(chosen.versions), origin=chosen.execution_id,
            # Infra stays as it is; only code moved back, so the next deploy compares with today's infra.
            infra_hash=current.infra_hash if current else "",
        ).succeed((moved,))
        ledger.record(entry)
    return entry
