"""One service's pipeline execution: test -> package -> plan -> deploy -> verify, in the ledger.

The CLI watches progress through a `Reporter`; this module never prints.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Protocol, TypeVar

from pipeline.aws import Target, connect
from pipeline.changes import git
from pipeline.errors import PipelineError
from pipeline.paths import artifact_cache_dir
from pipeline.policy.guard import guard_root
from pipeline.policy.permissions import require_grants, scan_permissions
from pipeline.project.environments import Environment, get_environment
from pipeline.project.services import Service, load_service
from pipeline.stages.deploy import DeployPlan, apply_deploy, package, plan_deploy, run_tests
from pipeline.stages.rollout import first_share, verify_and_roll_out
from pipeline.stages.verify import live_versions
from pipeline.state.ledger import Ledger, LedgerEntry, StageRecord, version_labels
from pipeline.state.locks import LOCK_TIMEOUT_S, HeldLock, LockHolder, heartbeat_seconds, service_lock
from pipeline.state.preflight import preflight
from pipeline.terraform.toolchain import Toolchain, ensure_toolchain

T = TypeVar("T")
STAGES = ("test", "package", "plan", "deploy", "verify")
# Parallel pipelines share one emulator and one set of ops foundations: set them up one at a time.
_SETUP = threading.Lock()


class Reporter(Protocol):
    def stage_started(self, service: str, stage: str) -> None: ...
    def stage_finished(self, service: str, record: StageRecord) -> None: ...
    def note(self, service: str, message: str) -> None: ...


class _Stages:
    """Times each stage, tells the reporter, and keeps the records for the ledger."""

    def __init__(self, service: str, reporter: Reporter) -> None:
        self.service = service
        self.reporter = reporter
        self._records: list[StageRecord] = []

    def run(self, stage: str, work: Callable[[], T], describe: Callable[[T], str]) -> T:
        self.reporter.stage_started(self.service, stage)
        started_at, started = time.time(), time.monotonic()
        try:
            value = work()
        except PipelineError as err:
            self._finish(StageRecord(stage, "failed", time.monotonic() - started, err.message.splitlines()[0], started_at))
            raise
        self._finish(StageRecord(stage, "succeeded", time.monotonic() - started, describe(value), started_at))
        return value

    def _finish(self, record: StageRecord) -> None:
        self._records.append(record)
        self.reporter.stage_finished(self.service, record)

    @property
    def records(self) -> tuple[StageRecord, ...]:
        """The records in pipeline order (the test stage runs beside others and may finish later)."""
        return tuple(sorted(self._records, key=lambda record: STAGES.index(record.name)))

    def skip_rest(self, reason: str = "an earlier stage failed") -> None:
        done = {record.name for record in self._records}
        for stage in STAGES:
            if stage not in done:
                self._finish(StageRecord(stage, "skipped", 0.0, reason))


def deploy_service(
    name: str, environment_name: str, reporter: Reporter, lock_timeout_s: float = LOCK_TIMEOUT_S
) -> LedgerEntry:
    """Run `name` through test, package, plan, deploy and verify in `environment_name`.

    Preflight comes first. The test stage then runs beside package and plan, which only read
    the environment; nothing is uploaded or applied until the tests passed.
    Returns the execution as recorded in the ledger. Raises ServiceNotFound, ManifestError,
    EnvironmentNotFound before anything runs, PreflightFailed or BootstrapMissing before the
    tests, DeployLocked when another deploy of the service holds its lock too long, and
    StageFailed, PolicyViolation or TerraformError from a stage.
    """
    environment = get_environment(environment_name)
    service = load_service(name)
    commit = git.head_commit()
    from_commit = bool(commit) and not git.has_uncommitted_changes(service.folder)
    if not from_commit:
        reporter.note(name, "deploying uncommitted changes: the ledger marks this deploy as not from a commit")
    entry = LedgerEntry.start(name, environment_name, commit, from_commit)
    stages = _Stages(name, reporter)
    try:
        guard_root(service.infra_dir)
        toolchain, target = _prepare_environment(service, environment, reporter)
    except PipelineError:
        stages.skip_rest("refused before any stage ran")
        raise
    ledger = Ledger(target)
    plan: DeployPlan | None = None
    shifts: list[str] = []  # a progressive rollout's traffic shifts, for the ledger
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"test-{name}") as beside:
            tests = beside.submit(stages.run, "test", lambda: _test(service, reporter), lambda summary: summary)

            def stop_if_tests_failed() -> None:
                if tests.done():
                    tests.result()

            artifact = stages.run(
                "package",
                lambda: package(service, artifact_cache_dir()),
                lambda built: f"{built.artifact.sha256[:12]} ({'cached' if built.cached else 'built'})",
            ).artifact
            entry = replace(entry, artifact_sha256=artifact.sha256)  # failed executions name their artifact too

            def waiting(holder: LockHolder) -> None:
                reporter.note(name, f"waiting for the deploy lock held by {holder.describe()}")

            def taking_over(held: HeldLock) -> None:
                reporter.note(name, f"took over a stale deploy lock held by {held.holder.describe()}: no heartbeat for "
                                    f"{held.silent_s:.0f}s (stale after {held.stale_after_s(heartbeat_seconds()):.0f}s)")

            with service_lock(target, name, entry.execution_id, lock_timeout_s, waiting, stop_if_tests_failed, taking_over):
                stop_if_tests_failed()
                last = ledger.last_success(name)
                plan = stages.run(
                    "plan",
                    lambda: plan_deploy(target, toolchain, service, artifact, last),
                    _describe_plan,
                )
                tests.result()  # a failed test stage stops here: nothing was uploaded or applied
                previous = live_versions(target, service)
                first_percent = first_share(service.manifest.rollout_in(environment_name), previous)
                outcome = stages.run(
                    "deploy",
                    lambda: apply_deploy(target, service, artifact, plan, first_percent),
                    lambda done: _describe_deploy(done.changed, done.versions),
                )
                stages.run("verify", lambda: verify_and_roll_out(target, service, previous, outcome.versions, shifts.append),
                           lambda summary: summary)
                finished = replace(outcome.recorded(entry).succeed(stages.records), shifts=tuple(shifts))
                ledger.record(finished)
        return finished
    except PipelineError as err:
        stages.skip_rest()
        ledger.record(replace(entry.fail(stages.records, err.message), shifts=tuple(shifts)))
        raise
    finally:
        if plan is not None:
            plan.discard()


def _prepare_environment(service: Service, environment: Environment, reporter: Reporter) -> tuple[Toolchain, Target]:
    """Terraform, then preflight. Parallel pipelines share one emulator and one set of foundations,
    so this runs one pipeline at a time."""
    with _SETUP:
        toolchain = ensure_toolchain()
        target = connect(environment).for_service(service.name)
        preflight(target, toolchain, service, lambda message: reporter.note(service.name, message))
    return toolchain, target


def _test(service: Service, reporter: Reporter) -> str:
    """The code-vs-permissions check (least-privilege warnings become notes), then the unit tests."""
    findings = scan_permissions(service)
    for warning in findings.unused:
        reporter.note(service.name, f"warning: {warning}")
    require_grants(service, findings)
    return run_tests(service)


def _describe_plan(plan: DeployPlan) -> str:
    if plan.infra is None:
        return "infra inputs unchanged, Terraform skipped; no drift"
    if not plan.infra.has_changes:
        return "no infra changes"
    return f"infra changes planned and reviewed (plan {plan.infra.sha256[:12]})"


def _describe_deploy(changed: bool, versions: dict[str, str]) -> str:
    live = version_labels(versions)
    return f"live -> {live}" if changed else f"no changes: live already serves this artifact ({live})"
