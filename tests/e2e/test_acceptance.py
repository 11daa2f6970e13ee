"""After every other test: the fault matrix's acceptance (issue #6), row 13 and row 15.

tests/conftest.py runs this module last, so it judges what the whole suite left in the
emulator: every Terraform state whole and unlocked, one per deployed service, no pipeline lock
left, every recorded execution finished; and no secret any run held in its output, the local
folder, the buckets' states and ledgers, or the functions' logs. Last of all, the suite's
emulator is killed for real and a deploy after it starts over (row 15); nothing runs after it.
Run on its own (nothing deployed before it), it deploys `echo` first so there is something to
judge; it never skips.
"""

from __future__ import annotations

import json
import os
import signal
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import emulator
from pipeline.aws import Identity, Target, connect
from pipeline.paths import local_dir
from pipeline.state import ledger, locks
from pipeline.state.ledger import Ledger, LedgerEntry
from tests.e2e.conftest import HANDLED, Project, add_echo_service, commit_all, copy_project, git

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def judged(local_target: Target, tmp_path_factory: pytest.TempPathFactory) -> None:
    """What the checks judge: the other tests' deploys, or, when none ran before, a deploy of its own."""
    if Ledger(local_target).heads():
        return
    project = copy_project(tmp_path_factory.mktemp("acceptance") / "repo")
    add_echo_service(project)
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "the reference services and echo")
    result = project.deploy_py("deploy", "--service", "echo")
    assert result.returncode == 0, "the acceptance checks' own deploy failed:\n" + result.stdout + result.stderr


@pytest.fixture(scope="module")
def stored(local_target: Target, judged: None) -> dict[str, bytes]:
    """Every Terraform state, pipeline lock and ledger object in the emulator, by s3:// address."""
    s3 = local_target.client("s3", Identity.OPS)
    found = {}
    # Unit tests' own buckets (test-*) hold records they made by hand, e.g. a lock left to be taken over.
    for bucket in (listed["Name"] for listed in s3.list_buckets()["Buckets"] if not listed["Name"].startswith("test-")):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for key in (item["Key"] for item in page.get("Contents", [])):
                if key.endswith((".tfstate", ".tflock")) or key.startswith((f"{locks.PREFIX}/", f"{ledger.PREFIX}/")):
                    found[f"s3://{bucket}/{key}"] = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert any("/executions/" in address for address in found), "no execution is recorded: there is nothing to judge"
    return found


def test_every_state_is_whole_and_unlocked_and_every_deploy_finished(
    stored: dict[str, bytes], local_target: Target
) -> None:
    problems = []
    for address, body in stored.items():
        if address.endswith(".tflock"):
            problems.append(f"{address}: a Terraform lock file left behind")
        elif f"/{locks.PREFIX}/" in address:
            problems.append(f"{address}: a pipeline lock left behind")
        elif address.endswith(".tfstate"):
            state = json.loads(body)
            if state.get("version") != 4 or not state.get("lineage") or not isinstance(state.get("serial"), int):
                problems.append(f"{address}: not a whole Terraform state")
        elif "/executions/" in address:
            entry = LedgerEntry.from_json(json.loads(body))
            if entry.result not in ("succeeded", "failed") or not 0 < entry.started_at <= entry.finished_at:
                problems.append(f"{address}: execution {entry.execution_id} did not finish ({entry.result})")
    state_bucket = f"s3://{local_target.environment.state_bucket}/"
    for service in Ledger(local_target).heads():
        states = [address for address in stored if address.startswith(f"{state_bucket}services/{service}/")]
        if states != [f"{state_bucket}services/{service}/infra/terraform.tfstate"]:
            problems.append(f"{service} is deployed to local, but its states are {states}")

    assert not problems, "\n".join(problems)


def local_files() -> Iterator[tuple[str, bytes]]:
    """Every file in the suite's local folder (saved plans unzipped) but the emulator's credential store."""
    credentials = local_dir() / "emulator" / "credentials.json"
    for folder, _, names in os.walk(local_dir()):
        for path in (Path(folder) / name for name in names):
            if path == credentials or path.is_symlink():
                continue
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    yield from ((f"{path}:{name}", archive.read(name)) for name in archive.namelist())
            else:
                yield str(path), path.read_bytes()


def function_logs(target: Target) -> Iterator[tuple[str, bytes]]:
    logs = target.client("logs", Identity.OPS)
    for page in logs.get_paginator("describe_log_groups").paginate():
        for group in (found["logGroupName"] for found in page["logGroups"]):
            events = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
            yield f"CloudWatch Logs {group}", "\n".join(e["message"] for p in events for e in p["events"]).encode()


def test_no_secret_appears_in_output_local_files_states_ledgers_or_logs(
    stored: dict[str, bytes], local_target: Target
) -> None:
    """Row 13: the users' keys, every session the runs handed Terraform, the reference users' password and token."""
    users = {emulator.ops_credentials().secret_access_key, emulator.developer_credentials().secret_access_key}
    assert HANDLED.secrets - users, "no deployer session was seen: the search would prove nothing"
    secrets = [secret.encode() for secret in users | HANDLED.secrets]
    places = [
        *((f"CLI run {number}", text.encode()) for number, text in enumerate(HANDLED.transcripts)),
        *local_files(),
        *stored.items(),
        *function_logs(local_target),
    ]

    leaks = [f"{place}: {secret[:4].decode()}..." for place, text in places for secret in secrets if secret in text]

    assert not leaks, "\n".join(leaks)


def changed(project: Project) -> dict[str, list[str]]:
    """`changed`'s reasons, by service."""
    result = project.deploy_py("changed", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return {item["service"]: item["reasons"] for item in json.loads(result.stdout)["services"]}


def test_a_restarted_emulator_is_noticed_and_every_service_deploys_as_new(
    local_target: Target, tmp_path: Path
) -> None:
    """Row 15, on the suite's own emulator and local folder, full of every other test's leftovers."""
    project = copy_project(tmp_path / "repo")
    add_echo_service(project)
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "the reference services and echo")
    if "echo" not in Ledger(local_target).heads():  # run on its own: deploy something to forget
        assert project.deploy_py("deploy", "--service", "echo").returncode == 0
    assert changed(project).get("echo") != ["no successful deploy to local yet"]
    killed = emulator.current()
    assert killed is not None

    os.kill(killed.pid, signal.SIGKILL)  # a crash: its pid file and credentials stay behind
    while emulator._answers(killed.endpoint):
        time.sleep(0.05)
    backend_record = local_dir() / "terraform" / "local" / "services__echo__infra" / "terraform.tfstate"
    assert backend_record.is_file(), "echo's Terraform data dir outlives the emulator it describes"
    forgotten = changed(project)
    again = project.deploy_py("deploy", "--service", "echo")

    assert forgotten == dict.fromkeys(forgotten, ["no successful deploy to local yet"])
    assert set(forgotten) == {"authentication", "echo", "location", "profile"}
    assert again.returncode == 0, again.stdout + again.stderr
    assert "[echo] the local emulator was reset (it keeps everything in memory)" in again.stdout
    assert "[echo] applied ops/bootstrap as ops" in again.stdout and "[echo] applied ops/iam as ops" in again.stdout
    assert "live -> echo@1" in again.stdout and "Terraform skipped" not in again.stdout
    running = emulator.current()
    assert running is not None and running.pid != killed.pid
    restarted = connect(local_target.environment)
    assert [entry.result for entry in Ledger(restarted).executions()] == ["succeeded"]
    alias = restarted.client("lambda", Identity.OPS).get_alias(FunctionName="local-echo-echo", Name="live")
    assert alias["FunctionVersion"] == "1"

