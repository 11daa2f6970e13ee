"""Fault-matrix rows that need a whole deploy, on a `drill` service of their own.

Row 2: Ctrl-C (SIGINT) to the orchestrator while Terraform applies. The signal reaches Terraform
once, it stops cleanly and saves state, the lock is released, the ledger does not advance, the exit
code is 130, and the next run converges. (SIGTERM takes the same path; tests/pipeline/
test_terraform_faults.py proves it on a small root.)
Row 6: a function reconfigured outside Terraform is reported by `drift`, the code-only path refuses
to ship over it, and `drift --reconcile` puts Terraform's settings back.
Rows 13 and 15 and the matrix's acceptance run after every other test: tests/e2e/test_acceptance.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.aws import Identity, Target
from pipeline.bootstrap import apply_iam
from pipeline.ledger import HEADS_PREFIX, PREFIX, Ledger
from pipeline.toolchain import ensure_toolchain
from tests.e2e.conftest import Project, copy_project, finish

pytestmark = pytest.mark.e2e

SERVICE = "drill"
FUNCTION = f"local-{SERVICE}-get_location"
STATE_KEY = f"services/{SERVICE}/infra/terraform.tfstate"


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


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory, local_target: Target) -> Iterator[Project]:
    project = copy_project(tmp_path_factory.mktemp("drill") / "repo")
    add_drill_service(project)
    yield project
    # Other tests' repositories have no drill service: its roles and ledger would read to them as a
    # deleted service, so ops' IAM is applied again from the real tree and the ledger entries go.
    apply_iam(local_target, ensure_toolchain())
    s3 = local_target.client("s3", Identity.OPS)
    bucket = local_target.environment.artifact_bucket
    # Every version: in a versioned bucket moto still lists a deleted key's folder-like prefix.
    for prefix in (f"{PREFIX}/{SERVICE}/", f"{HEADS_PREFIX}/{SERVICE}."):
        listed = s3.list_object_versions(Bucket=bucket, Prefix=prefix)
        for item in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]:
            s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])


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

    handler = deployed_drill.root / "services" / SERVICE / "src" / "location" / "get_location.py"
    handler.write_text(handler.read_text() + "\n# a code-only change\n")
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
