"""Watch mode: on a saved change under a service, run its tests and ship the code, nothing else.

Polls file modification times under the service folder and the libs it declares (no inotify
dependency; a few hundred stat calls a poll). Each change runs the code-only path: the tests
beside packaging, then upload, publish and `live` moved, recorded in the ledger like any
execution. Terraform never runs here and the drift check is skipped; when the change touches the
infra inputs (the infra root, the manifest) the update is reported and left for a normal deploy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.aws import Target, connect
from pipeline.changes import git
from pipeline.errors import PipelineError
from pipeline.flows.execution import STAGES
from pipeline.paths import artifact_cache_dir
from pipeline.policy.permissions import require_grants, scan_permissions
from pipeline.project.environments import get_environment
from pipeline.project.naming import artifact_key
from pipeline.project.services import Service, load_service
from pipeline.stages.deploy import DeployPlan, apply_deploy, package, run_tests, service_infra_hash
from pipeline.stages.package import Artifact
from pipeline.stages.verify import live_versions, verify
from pipeline.state.ledger import Ledger, LedgerEntry, StageRecord, version_labels
from pipeline.state.locks import LOCK_TIMEOUT_S, service_lock

POLL_SECONDS = 0.2
SETTLE_SECONDS = 0.1  # editors save in several writes; wait for the burst to end
_IGNORED = {"__pycache__", ".pytest_cache", ".mypy_cache", ".terraform", ".ruff_cache"}

Snapshot = dict[str, tuple[int, int]]  # path -> (mtime_ns, size)


@dataclass(frozen=True)
class WatchUpdate:
    """What one burst of saves led to."""

    changed: tuple[str, ...]  # paths relative to the project
    result: str  # live | tests failed | failed | infra changed
    detail: str  # versions now live, or why nothing shipped
    seconds: float  # from noticing the change to live (or to giving up)
    execution_id: str = ""


def watched_folders(service: Service) -> list[Path]:
    return [service.folder, *service.lib_dirs]


def snapshot(folders: list[Path]) -> Snapshot:
    """Modification time and size of every file under the folders, caches and build dirs aside."""
    found: Snapshot = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if _IGNORED.isdisjoint(path.parts) and path.is_file():
                try:
                    stat = path.stat()
                except OSError:  # removed between the listing and the stat
                    continue
                found[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return found


def changed_files(before: Snapshot, after: Snapshot) -> list[str]:
    """Files added, removed or modified between two snapshots."""
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def ship_change(target: Target, service_name: str, changed: tuple[str, ...]) -> WatchUpdate:
    """Test and ship the service's current code on the code-only path; never raises PipelineError.

    The infra inputs must be those of the last successful deploy: otherwise (or before any
    deploy) the update says so and ships nothing.
    """
    started = time.monotonic()
    try:
        service = load_service(service_name)
        ledger = Ledger(target)
        last = ledger.last_success(service_name)
        if last is None:
            return WatchUpdate(changed, "infra changed", "never deployed here: run deploy first", 0.0)
        infra_hash = service_infra_hash(target, service)
        if infra_hash != last.infra_hash:
            return WatchUpdate(changed, "infra changed", f"run `deploy --service {service_name}` to plan and apply it",
                               time.monotonic() - started)
        entry = _ship(target, ledger, service, infra_hash)
    except PipelineError as err:
        result = "tests failed" if err.message.startswith("test:") else "failed"
        return WatchUpdate(changed, result, err.message.splitlines()[-1 if result == "tests failed" else 0],
                           time.monotonic() - started)
    live = version_labels(entry.versions)
    return WatchUpdate(changed, "live", live, time.monotonic() - started, entry.execution_id)


def _in_order(records: list[StageRecord]) -> tuple[StageRecord, ...]:
    """Records in pipeline order: the test stage runs beside packaging and may finish after it."""
    return tuple(sorted(records, key=lambda record: STAGES.index(record.name)))


def checked_tests(service: Service) -> str:
    """The test stage as deploys run it: the code's AWS calls against the manifest's grants, then the tests."""
    require_grants(service, scan_permissions(service))
    return run_tests(service)


def _ship(target: Target, ledger: Ledger, service: Service, infra_hash: str) -> LedgerEntry:
    """Tests beside packaging, then deploy and verify, recorded in the ledger as an execution."""
    commit = git.head_commit()
    entry = replace(LedgerEntry.start(service.name, target.environment.name, commit,
                                      bool(commit) and not git.has_uncommitted_changes(service.folder)),
                    infra_hash=infra_hash)
    records: list[StageRecord] = []

    def timed(stage: str, work: Callable[[], str]) -> None:
        started_at, started = time.time(), time.monotonic()
        try:
            detail = work()
        except PipelineError as err:
            records.append(StageRecord(stage, "failed", time.monotonic() - started, err.message.splitlines()[0], started_at))
            raise
        records.append(StageRecord(stage, "succeeded", time.monotonic() - started, detail, started_at))

    try:
        with ThreadPoolExecutor(max_workers=1) as beside:
            tests = beside.submit(timed, "test", lambda: checked_tests(service))
            built: list[Artifact] = []

            def build() -> str:
                result = package(service, artifact_cache_dir())
                built.append(result.artifact)
                return f"{result.artifact.sha256[:12]} ({'cached' if result.cached else 'built'})"

            timed("package", build)
            artifact = built[0]
            entry = replace(entry, artifact_sha256=artifact.sha256)
            tests.result()
        records.append(StageRecord("plan", "skipped", 0.0, "watch: code only, infra inputs unchanged, no drift check"))
        versions: dict[str, str] = {}

        def deploy() -> str:
            versions.update(apply_deploy(target, service, artifact, plan).versions)
            return "code only: live -> " + version_labels(versions)

        plan = DeployPlan(artifact_key(service.name, artifact.sha256), infra_hash, None)
        with service_lock(target, service.name, entry.execution_id, LOCK_TIMEOUT_S, lambda holder: None):
            previous = live_versions(target, service)
            timed("deploy", deploy)
            timed("verify", lambda: verify(target, service, previous))
    except PipelineError as err:
        ledger.record(entry.fail(_in_order(records), err.message))
        raise
    finished = replace(entry.succeed(_in_order(records)), versions=versions)
    ledger.record(finished)
    return finished


class Watch:
    """A watch over one service, set up (environment reached, files noted) when constructed.

    Raises ServiceNotFound, EnvironmentNotFound, EmulatorError from the constructor.
    """

    def __init__(self, service_name: str, environment_name: str, poll_seconds: float = POLL_SECONDS) -> None:
        self.service_name = service_name
        self.poll_seconds = poll_seconds
        self.folders = watched_folders(load_service(service_name))
        self.target = connect(get_environment(environment_name)).for_service(service_name)
        self._seen = snapshot(self.folders)

    def updates(self) -> Iterator[WatchUpdate]:
        """One WatchUpdate per burst of saves since construction, forever (the CLI stops it with Ctrl-C)."""
        while True:
            time.sleep(self.poll_seconds)
            now = snapshot(self.folders)
            if now == self._seen:
                continue
            time.sleep(SETTLE_SECONDS)
            now = snapshot(self.folders)
            changed = tuple(_relative(path) for path in changed_files(self._seen, now))
            self._seen = now
            yield ship_change(self.target, self.service_name, changed)


def _relative(path: str) -> str:
    from pipeline.paths import PROJECT_ROOT

    try:
        return Path(path).relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return path
