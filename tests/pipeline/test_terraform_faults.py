"""Faults around a real apply: stale and reused plans, a state that cannot be saved, a partial apply.

Small fixture roots keep each Terraform run to a second or two; the state lives in S3 on an
emulator, exactly as a service's does.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.aws import Identity, Target
from pipeline.errors import PartialApply, StalePlan, StateNotSaved
from pipeline.paths import PROJECT_ROOT
from pipeline.terraform.roots import plan_and_apply, s3_backend_at
from pipeline.terraform.runner import Terraform
from pipeline.terraform.toolchain import ensure_toolchain

pytestmark = pytest.mark.e2e

BUCKET = "fault-drills"
BACKEND = 'terraform {\n  backend "s3" {}\n}\n'


def write_root(folder: Path, main_tf: str, with_aws: bool = False) -> Path:
    folder.mkdir(parents=True)
    (folder / "versions.tf").write_text(BACKEND)
    (folder / "main.tf").write_text(textwrap.dedent(main_tf))
    if with_aws:
        shutil.copy(PROJECT_ROOT / "services" / "location" / "infra" / ".terraform.lock.hcl", folder)
    return folder


@pytest.fixture(scope="module")
def drill_bucket(local_target: Target) -> str:
    s3 = local_target.client("s3", Identity.OPS)
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


def terraform_in(root: Path, target: Target, env: dict[str, str] | None = None) -> Terraform:
    return Terraform(ensure_toolchain(), root, root.parent / "data", env or target.process_env(Identity.OPS))


def test_a_reused_plan_and_a_stale_plan_are_refused(tmp_path: Path, local_target: Target, drill_bucket: str) -> None:
    root = write_root(tmp_path / "root", 'resource "terraform_data" "marker" {\n  input = "one"\n}\n')
    terraform = terraform_in(root, local_target)
    terraform.init(s3_backend_at(local_target, drill_bucket, f"stale/{uuid.uuid4().hex}.tfstate"))
    first = terraform.plan(tmp_path / "first.tfplan")
    second = terraform.plan(tmp_path / "second.tfplan")
    assert first.has_changes and second.has_changes

    terraform.apply(first.path)
    with pytest.raises(StalePlan, match="applied already, or the state changed"):
        terraform.apply(first.path)
    with pytest.raises(StalePlan):
        terraform.apply(second.path)
    assert terraform.state_addresses() == {"terraform_data.marker"}


def test_a_partial_apply_says_what_landed_and_the_next_run_converges(
    tmp_path: Path, local_target: Target, drill_bucket: str
) -> None:
    parameter = f"/drills/{uuid.uuid4().hex}"
    ssm = local_target.client("ssm", Identity.OPS)
    # Someone else holds the name, so the second resource fails after the first was made.
    ssm.put_parameter(Name=parameter, Value="taken", Type="String")
    root = write_root(tmp_path / "root", f"""
        provider "aws" {{
          region = "us-east-1"
        }}

        resource "terraform_data" "first" {{
          input = "done before the failure"
        }}

        resource "aws_ssm_parameter" "second" {{
          name       = "{parameter}"
          type       = "String"
          value      = "ours"
          depends_on = [terraform_data.first]
        }}
    """, with_aws=True)
    terraform = terraform_in(root, local_target)
    backend = s3_backend_at(local_target, drill_bucket, f"partial/{uuid.uuid4().hex}.tfstate")

    with pytest.raises(PartialApply) as stopped:
        plan_and_apply(terraform, backend, {})
    assert "applied: create terraform_data.first" in stopped.value.message
    assert "not applied: create aws_ssm_parameter.second" in stopped.value.message
    assert "run the deploy again" in stopped.value.hint

    ssm.delete_parameter(Name=parameter)
    assert plan_and_apply(terraform, backend, {}).changed
    assert terraform.state_addresses() == {"terraform_data.first", "aws_ssm_parameter.second"}


SIGTERM_DRIVER = """
import json, sys
from pathlib import Path
from pipeline.errors import Interrupted
from pipeline.terraform.runner import Terraform, install_stop_handler
from pipeline.terraform.toolchain import ensure_toolchain

install_stop_handler()
root, backend, env = Path(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
terraform = Terraform(ensure_toolchain(), root, root.parent / "data", env)
terraform.init(backend)
plan = terraform.plan(root.parent / "slow.tfplan")
try:
    terraform.apply(plan.path)
except Interrupted as stopped:
    print(stopped.message)
    sys.exit(128 + stopped.signal_number)
"""


def test_sigterm_is_forwarded_once_and_terraform_saves_state_and_unlocks(
    tmp_path: Path, local_target: Target, drill_bucket: str
) -> None:
    root = write_root(tmp_path / "root", """
        resource "terraform_data" "slow" {
          provisioner "local-exec" {
            command = "sleep 60"
          }
        }
    """)
    key = f"sigterm/{uuid.uuid4().hex}.tfstate"
    env = local_target.process_env(Identity.OPS)
    backend = s3_backend_at(local_target, drill_bucket, key)
    driver = subprocess.Popen([sys.executable, "-c", SIGTERM_DRIVER, str(root), json.dumps(backend), json.dumps(env)],
                              cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    s3 = local_target.client("s3", Identity.OPS)
    deadline = time.monotonic() + 60
    while s3.list_objects_v2(Bucket=drill_bucket, Prefix=f"{key}.tflock").get("KeyCount", 0) == 0:
        assert driver.poll() is None, driver.communicate()
        assert time.monotonic() < deadline, "terraform apply never took its lock"
        time.sleep(0.1)
    time.sleep(1.0)  # inside the provisioner's sleep

    started = time.monotonic()
    driver.send_signal(signal.SIGTERM)
    stdout, stderr = driver.communicate(timeout=60)

    assert driver.returncode == 143, stdout + stderr
    assert time.monotonic() - started < 30, "Terraform did not stop on the forwarded signal"
    assert "interrupted by SIGTERM during terraform apply" in stdout
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=drill_bucket, Prefix=key)["Contents"]] == [key]
    state = json.loads(s3.get_object(Bucket=drill_bucket, Key=key)["Body"].read())
    assert [resource["type"] for resource in state["resources"]] == ["terraform_data"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_moto(port: int) -> subprocess.Popen[bytes]:
    """A plain moto server on `port`, answering once this returns."""
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "moto server did not start"
            time.sleep(0.1)
    return server


@pytest.fixture
def doomed_emulator() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A moto server of the test's own, which the apply under test will stop."""
    port = _free_port()
    server = start_moto(port)
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        server.kill()
        server.wait()


def test_a_state_that_cannot_be_saved_is_kept_named_and_blocks_applies(
    tmp_path: Path, local_target: Target, doomed_emulator: tuple[subprocess.Popen[bytes], str]
) -> None:
    import boto3

    server, endpoint = doomed_emulator
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "drill", "AWS_SECRET_ACCESS_KEY": "drill",
           "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="drill", aws_secret_access_key="drill")
    s3.create_bucket(Bucket=BUCKET)
    # The resource is made, then the emulator dies before Terraform uploads the new state.
    root = write_root(tmp_path / "root", f"""
        resource "terraform_data" "made" {{
          input = "x"
          provisioner "local-exec" {{
            command = "kill {server.pid}"
          }}
        }}
    """)
    terraform = terraform_in(root, local_target, env)
    backend = {**s3_backend_at(local_target, BUCKET, "unsaved/terraform.tfstate"), "use_path_style": "true",
               "max_retries": "1"}  # a dead endpoint, nothing to wait for

    with pytest.raises(StateNotSaved) as unsaved:
        plan_and_apply(terraform, backend, {})
    kept = terraform.errored_state
    assert json.loads(kept.read_text())["resources"][0]["type"] == "terraform_data"
    assert not (root / "errored.tfstate").exists()
    assert str(kept) in unsaved.value.message
    assert f"state push {kept}" in unsaved.value.hint

    with pytest.raises(StateNotSaved, match="no apply may run until it is pushed"):
        plan_and_apply(terraform, backend, {})
    assert kept.exists()

    server.wait()
    revived = start_moto(int(endpoint.rsplit(":", 1)[1]))
    try:
        s3.create_bucket(Bucket=BUCKET)
        terraform.push_errored_state()
        assert not kept.exists()
        assert not plan_and_apply(terraform, backend, {}).changed, "the pushed state already holds the resource"
    finally:
        revived.kill()
        revived.wait()
