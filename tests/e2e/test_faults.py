"""Fault-matrix rows that need a whole deploy, mostly on a `drill` service of their own.

Row 1: two deploys of one service started together take turns: the second waits for the per-service
lock, naming who holds it, since when and which execution, then finds the first one's work done;
with `--lock-timeout` it gives up instead, naming the holder, and applies nothing.
Row 2: Ctrl-C (SIGINT) to the orchestrator while Terraform applies. The signal reaches Terraform
once, it stops cleanly and saves state, the lock is released, the ledger does not advance, the exit
code is 130, and the next run converges. (SIGTERM takes the same path; tests/pipeline/
test_terraform_faults.py proves it on a small root.)
Row 6: a function reconfigured outside Terraform is reported by `drift`, the code-only path refuses
to ship over it, and `drift --reconcile` puts Terraform's settings back.
Row 12: the suite's emulator keeps each Lambda update in progress for a second and refuses a
publish meanwhile, as Lambda does (tests/conftest.py); code and configuration deploys still pass.
Rows 13 and 15 and the matrix's acceptance run after every other test: tests/e2e/test_acceptance.py.
"""

from __future__ import annotations

import base64
import calendar
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.aws import Identity, Target
from pipeline.state.ledger import Ledger, LedgerEntry
from pipeline.state.locks import lock_key, service_lock
from tests.e2e.conftest import Project, copy_project, executions_by_service, finish, forget_service, stage_detail

pytestmark = pytest.mark.e2e

SERVICE = "drill"
FUNCTION = f"local-{SERVICE}-get_location"
STATE_KEY = f"services/{SERVICE}/infra/terraform.tfstate"
WAITING = re.compile(r"waiting for the deploy lock held by (.+ pid (\d+)) since (.+ UTC) \(execution (\S+)\)")
DEPLOYED = re.compile(rf"{SERVICE}: deployed to local in .* \(execution (\S+),")


def add_drill_service(project: Project) -> None:
    """A second service shaped like location, so its applies never disturb location's tests."""
    folder = project.root / "services" / SERVICE
    subprocess.run(["cp", "-r", str(project.root / "services" / "location"), str(folder)], check=True)
    manifest = folder / "service.yaml"
    manifest.write_text(manifest.read_text().replace("name: location", f"name: {SERVICE}"))


def terraform_child(parent: int, verb: str) -> int | None:
    """The pid of a `terraform <verb>` the orchestrator `parent` started in the drill root, if running."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        ppid = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:"))
        if ppid == parent and command[0].endswith(b"terraform") and command[1:2] == [verb.encode()] \
                and cwd.endswith(f"services/{SERVICE}/infra"):
            return int(entry.name)
    return None


def deploy_and_signal(project: Project, verb: str, signal_number: int, settle_s: float) -> subprocess.CompletedProcess[str]:
    """Start a deploy, wait until it runs `terraform <verb>`, let it work `settle_s`, then signal it."""
    process = project.start("deploy", "--service", SERVICE)
    deadline = time.monotonic() + 180
    while terraform_child(process.pid, verb) is None:
        assert process.poll() is None, f"the deploy ended before terraform {verb}: {process.communicate()}"
        assert time.monotonic() < deadline, f"terraform {verb} never started"
        time.sleep(0.05)
    time.sleep(settle_s)
    process.send_signal(signal_number)
    return finish(process, timeout_s=180)[0]


def state_objects(target: Target) -> list[str]:
    s3 = target.client("s3", Identity.OPS)
    listed = s3.list_objects_v2(Bucket=target.environment.state_bucket, Prefix=f"services/{SERVICE}/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def set_memory(project: Project, megabytes: int) -> None:
    """Give drill's get_location another memory size: an infra change, so a deploy runs Terraform."""
    manifest = project.root / "services" / SERVICE / "service.yaml"
    text, count = re.subn(r"(route: GET /locations/\{user_id\}\n    memory_mb: )\d+", rf"\g<1>{megabytes}",
                          manifest.read_text())
    assert count == 1, "the drill manifest no longer has get_location's memory_mb where expected"
    manifest.write_text(text)


def change_code(project: Project, note: str) -> None:
    handler = project.root / "services" / SERVICE / "src" / "location" / "get_location.py"
    handler.write_text(handler.read_text() + f"\n# {note}\n")


def live_configuration(target: Target) -> dict[str, Any]:
    """The configuration of the version drill's get_location serves as `live`."""
    functions = target.client("lambda", Identity.OPS)
    configuration = functions.get_function_configuration(FunctionName=FUNCTION, Qualifier="live")
    configuration.pop("ResponseMetadata")
    return dict(configuration)


def newest_execution(target: Target) -> LedgerEntry:
    return Ledger(target.for_service(SERVICE)).executions(SERVICE)[-1]


def executed(target: Target, result: subprocess.CompletedProcess[str]) -> LedgerEntry:
    """The ledger entry of the execution a successful `deploy` run names."""
    found = DEPLOYED.search(result.stdout)
    assert found, result.stdout + result.stderr
    entry = Ledger(target.for_service(SERVICE)).execution(SERVICE, found.group(1))
    assert entry is not None
    return entry


def no_pipeline_lock(target: Target) -> bool:
    s3 = target.client("s3", Identity.OPS)
    listed = s3.list_objects_v2(Bucket=target.environment.artifact_bucket, Prefix=lock_key(SERVICE))
    return not listed.get("Contents")


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory, local_target: Target) -> Iterator[Project]:
    project = copy_project(tmp_path_factory.mktemp("drill") / "repo")
    add_drill_service(project)
    yield project
    forget_service(local_target, SERVICE)


@pytest.fixture(scope="module")
def deployed_drill(drill: Project, local_target: Target) -> Project:
    """The drill service deployed (by the interrupt test's converging run when it ran first)."""
    from botocore.exceptions import ClientError

    try:
        deployed = Ledger(local_target.for_service(SERVICE)).last_success(SERVICE) is not None
    except ClientError:  # nothing bootstrapped yet
        deployed = False
    if not deployed:
        result = drill.deploy_py("deploy", "--service", SERVICE)
        assert result.returncode == 0, result.stdout + result.stderr
    return drill


def test_an_interrupted_deploy_stops_terraform_cleanly_and_the_next_run_converges(
    drill: Project, local_target: Target
) -> None:
    project = drill

    interrupted = deploy_and_signal(project, "apply", signal.SIGINT, settle_s=1.0)

    assert interrupted.returncode == 130, interrupted.stdout + interrupted.stderr
    assert "interrupted by SIGINT during terraform apply" in interrupted.stderr
    assert "Traceback" not in interrupted.stderr
    ledger = Ledger(local_target.for_service(SERVICE))
    assert ledger.last_success(SERVICE) is None, "an interrupted deploy must not advance the ledger"
    assert [entry.result for entry in ledger.executions(SERVICE)] == ["failed"]
    assert state_objects(local_target) == [STATE_KEY], "state saved, lock released"

    converged = project.deploy_py("deploy", "--service", SERVICE)

    assert converged.returncode == 0, converged.stdout + converged.stderr
    last = ledger.last_success(SERVICE)
    assert last is not None and last.result == "succeeded"
    assert [entry.result for entry in ledger.executions(SERVICE)] == ["failed", "succeeded"]
    assert state_objects(local_target) == [STATE_KEY]
    functions = local_target.client("lambda", Identity.OPS)
    assert functions.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"] != "$LATEST"


def test_drift_is_reported_blocks_the_code_path_and_reconciles(deployed_drill: Project, local_target: Target) -> None:
    functions = local_target.client("lambda", Identity.OPS)
    name = f"local-{SERVICE}-get_location"
    live_before = functions.get_alias(FunctionName=name, Name="live")["FunctionVersion"]
    functions.update_function_configuration(FunctionName=name, MemorySize=512)
    functions.get_waiter("function_updated_v2").wait(FunctionName=name)

    found = deployed_drill.deploy_py("drift", "--service", SERVICE)

    assert found.returncode == 1, found.stdout + found.stderr
    assert 'drift module.service.module.function["get_location"].aws_lambda_function.this: memory_size' in found.stdout
    assert "--reconcile" in found.stderr

    change_code(deployed_drill, "a code-only change")
    refused = deployed_drill.deploy_py("deploy", "--service", SERVICE)

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"{name}: memory_size: state 256, live 512" in refused.stderr
    assert "drift --service drill" in refused.stderr
    assert functions.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == live_before

    reconciled = deployed_drill.deploy_py("drift", "--service", SERVICE, "--reconcile")

    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    assert "reconciled" in reconciled.stdout
    assert functions.get_function_configuration(FunctionName=name)["MemorySize"] == 256
    shipped = deployed_drill.deploy_py("deploy", "--service", SERVICE)
    assert shipped.returncode == 0, shipped.stdout + shipped.stderr
    assert functions.get_alias(FunctionName=name, Name="live")["FunctionVersion"] != live_before
    last = Ledger(local_target.for_service(SERVICE)).last_success(SERVICE)
    assert last is not None
    sbom = local_target.client("s3", Identity.OPS).get_object(
        Bucket=local_target.environment.artifact_bucket, Key=f"services/{SERVICE}/{last.artifact_sha256}.cdx.json")
    assert json.loads(sbom["Body"].read())["metadata"]["component"]["hashes"][0]["content"] == last.artifact_sha256


def test_lambda_updates_settle_before_each_publish(deployed_drill: Project, local_target: Target) -> None:
    """Row 12: Terraform updates a configuration (its provider waits for the update to settle), then
    the pipeline updates the code and publishes (its waiter too). tests/pipeline/emulator shows that
    publishing early fails on this emulator; test_drift_* ships a code-only change on it."""
    live_before = live_configuration(local_target)
    set_memory(deployed_drill, 320)
    change_code(deployed_drill, "row 12")

    result = deployed_drill.deploy_py("deploy", "--service", SERVICE, "--json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "ResourceConflictException" not in result.stdout + result.stderr
    assert "Terraform skipped" not in stage_detail(executions_by_service(result)[SERVICE], "plan")
    live = live_configuration(local_target)
    shipped = newest_execution(local_target).artifact_sha256
    assert live["Version"] != live_before["Version"] and live["MemorySize"] == 320
    assert live["CodeSha256"] == base64.b64encode(bytes.fromhex(shipped)).decode(), "live runs the new code"


def test_two_deploys_of_one_service_take_turns(deployed_drill: Project, local_target: Target) -> None:
    """Row 1: started together, both pass; the second waits, naming the first, then finds its work done."""
    set_memory(deployed_drill, 384)  # an infra change: whichever deploy goes first applies it with Terraform
    processes = [deployed_drill.start("deploy", "--service", SERVICE) for _ in range(2)]

    runs = dict(zip((process.pid for process in processes), finish(*processes)))

    for result in runs.values():
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ResourceConflictException" not in result.stdout + result.stderr
    waited = {pid: WAITING.search(result.stdout) for pid, result in runs.items()}
    assert sorted(bool(found) for found in waited.values()) == [False, True], "exactly one deploy waited"
    second_pid, named = next((pid, found) for pid, found in waited.items() if found)
    first_pid = next(pid for pid in runs if pid != second_pid)
    first, second = executed(local_target, runs[first_pid]), executed(local_target, runs[second_pid])
    who, holder_pid, since, holder_execution = named.groups()
    assert (int(holder_pid), holder_execution) == (first_pid, first.execution_id)
    assert who.endswith(f"pid {first_pid}")
    assert first.started_at - 1 <= calendar.timegm(time.strptime(since, "%Y-%m-%d %H:%M:%S UTC")) <= first.finished_at

    assert first.result == second.result == "succeeded"
    # Plan, deploy and verify run under the lock, which the holder releases after writing its ledger entry.
    second_plan = next(record for record in second.stages if record.name == "plan")
    assert second_plan.started_at >= first.finished_at, "the two pipelines planned or applied at once"
    assert "Terraform skipped" not in stage_detail(first, "plan")
    assert stage_detail(second, "deploy").startswith("no changes")
    assert "Terraform skipped" in stage_detail(second, "plan"), "the second saw the first's apply in the ledger"
    assert live_configuration(local_target)["MemorySize"] == 384
    assert state_objects(local_target) == [STATE_KEY], "one state, no Terraform lock file left"
    assert no_pipeline_lock(local_target)


def test_a_deploy_that_cannot_get_the_lock_in_time_fails_naming_the_holder(
    deployed_drill: Project, local_target: Target
) -> None:
    """Row 1: `--lock-timeout` gives up while another process holds the lock; nothing is applied."""
    s3 = local_target.client("s3", Identity.OPS)
    state_before = s3.head_object(Bucket=local_target.environment.state_bucket, Key=STATE_KEY)["VersionId"]
    live_before = live_configuration(local_target)
    set_memory(deployed_drill, 448)  # what it would apply, had it got the lock
    try:
        with service_lock(local_target.for_service(SERVICE), SERVICE, "held-by-a-test", 0, lambda _: None) as holder:
            refused = deployed_drill.deploy_py("deploy", "--service", SERVICE, "--lock-timeout", "2")
    finally:
        set_memory(deployed_drill, live_before["MemorySize"])

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"[{SERVICE}] waiting for the deploy lock held by {holder.describe()}" in refused.stdout
    assert f"error: {SERVICE}: {SERVICE} is being deployed by {holder.describe()}; gave up after 2s" in refused.stderr
    assert f"release s3://{local_target.environment.artifact_bucket}/{lock_key(SERVICE)}" in refused.stderr
    assert f"deploy.py unlock --service {SERVICE} --env local" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert s3.head_object(Bucket=local_target.environment.state_bucket, Key=STATE_KEY)["VersionId"] == state_before
    assert live_configuration(local_target) == live_before, "nothing was applied or published"
    failed = newest_execution(local_target)
    assert failed.result == "failed" and holder.describe() in failed.error
    assert [(record.name, record.status) for record in failed.stages] == [
        ("test", "succeeded"), ("package", "succeeded"), ("plan", "skipped"), ("deploy", "skipped"), ("verify", "skipped")]
    assert no_pipeline_lock(local_target)

