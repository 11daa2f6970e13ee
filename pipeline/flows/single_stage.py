"""One stage at a time, for runners that give each stage its own machine (CodeBuild, Actions).

`deploy.py stage test|package|deploy|verify` call these; they wrap the same functions
`deploy.py deploy` runs. `stage deploy` records an execution as `running`; `stage verify`
finishes it, so an execution that was never verified never counts as passed.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.aws import Target, connect
from pipeline.changes import git
from pipeline.errors import PipelineError, StageFailed
from pipeline.paths import artifact_cache_dir
from pipeline.project.environments import get_environment
from pipeline.project.services import load_service
from pipeline.stages.deploy import deploy, package, run_tests
from pipeline.stages.package import Artifact
from pipeline.stages.verify import verify
from pipeline.state.ledger import Ledger, LedgerEntry, StageRecord
from pipeline.state.locks import LOCK_TIMEOUT_S, service_lock
from pipeline.state.preflight import preflight
from pipeline.terraform.toolchain import ensure_toolchain


@dataclass(frozen=True)
class PackagedArtifact:
    path: Path
    sha256: str
    cached: bool


def test_stage(service_name: str) -> str:
    """Run the service's tests; returns pytest's summary. Raises ServiceNotFound, StageFailed."""
    return run_tests(load_service(service_name))


def package_stage(service_name: str, out_dir: Path) -> PackagedArtifact:
    """Build the artifact and copy it to `<out_dir>/<service>.zip` with a `.sha256` beside it.

    Raises ServiceNotFound, ManifestError or StageFailed.
    """
    built = package(load_service(service_name), artifact_cache_dir())
    out_dir.mkdir(parents=True, exist_ok=True)
    destination = out_dir / f"{service_name}.zip"
    shutil.copyfile(built.artifact.path, destination)
    (out_dir / f"{service_name}.sha256").write_text(f"{built.artifact.sha256}  {destination.name}\n")
    return PackagedArtifact(destination, built.artifact.sha256, built.cached)


def read_artifact(path: Path) -> Artifact:
    """An artifact built elsewhere, identified by its bytes. Raises StageFailed if it is missing."""
    if not path.is_file():
        raise StageFailed(f"deploy: artifact {path} does not exist", "run `deploy.py stage package` first")
    return Artifact(path=path, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), inputs_hash="")


def _connected(service_name: str, environment_name: str) -> tuple[Target, Ledger]:
    target = connect(get_environment(environment_name)).for_service(service_name)
    return target, Ledger(target)


def deploy_stage(service_name: str, environment_name: str, artifact_file: Path | None, execution_id: str = "") -> LedgerEntry:
    """Deploy one artifact (or the cached build of the tree); the execution stays `running` until verify.

    Raises EnvironmentNotFound, ServiceNotFound, PreflightFailed, BootstrapMissing, DeployLocked,
    TerraformError, StageFailed.
    """
    environment = get_environment(environment_name)
    service = load_service(service_name)
    artifact = read_artifact(artifact_file) if artifact_file else package(service, artifact_cache_dir()).artifact
    toolchain = ensure_toolchain()
    target, ledger = _connected(service_name, environment.name)
    preflight(target, toolchain, service, lambda message: None)
    commit = git.head_commit()
    entry = LedgerEntry.start(
        service_name, environment.name, commit, bool(commit) and not git.has_uncommitted_changes(service.folder),
        execution_id=execution_id, artifact_sha256=artifact.sha256,
    )
    with service_lock(target, service_name, entry.execution_id, LOCK_TIMEOUT_S, lambda holder: None):
        try:
            outcome = deploy(target, toolchain, service, artifact, ledger.last_success(service_name))
        except PipelineError as err:
            failed = StageRecord.ended("deploy", "failed", entry.started_at, err.message.splitlines()[0])
            ledger.record(entry.fail((failed,), err.message))
            raise
        record = StageRecord.ended("deploy", "succeeded", entry.started_at, outcome.artifact_key)
        deployed = replace(outcome.recorded(entry), stages=(record,))  # still running: `stage verify` finishes it
        ledger.record(deployed)
    return deployed


def verify_stage(service_name: str, environment_name: str, execution_id: str = "") -> LedgerEntry:
    """Verify the service's `live` alias and finish the execution `stage deploy` started.

    Without `execution_id`, the service's newest execution. On failure `live` moves back to the
    last passing execution's versions. Raises StageFailed (also when there is nothing to verify).
    """
    service = load_service(service_name)
    target, ledger = _connected(service_name, environment_name)
    if execution_id:
        entry = ledger.execution(service_name, execution_id)
    else:
        entry = next(reversed(ledger.executions(service_name)), None)
    if entry is None or entry.result != "running":
        raise StageFailed(
            f"verify: {service_name} has no deployed, unverified execution {execution_id or '(newest)'} in {environment_name}",
            "run `deploy.py stage deploy` first (with the same --execution)",
        )
    last = ledger.last_success(service_name)
    started = time.time()
    try:
        summary = verify(target, service, last.versions if last else {})
    except PipelineError as err:
        failed = StageRecord.ended("verify", "failed", started, err.message.splitlines()[0])
        ledger.record(entry.fail((*entry.stages, failed), err.message))
        raise
    passed = StageRecord.ended("verify", "succeeded", started, summary)
    finished = entry.succeed((*entry.stages, passed))
    ledger.record(finished)
    return finished
