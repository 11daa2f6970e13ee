"""One pipeline execution's bookkeeping: stage records, their order, skips, and the lines they carry."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipeline.errors import StageFailed
from pipeline.flows.execution import STAGES, _describe_deploy, _describe_plan, _Stages
from pipeline.stages.deploy import DeployPlan
from pipeline.state.ledger import StageRecord
from pipeline.terraform.roots import ReviewedPlan
from pipeline.terraform.runner import Terraform
from pipeline.terraform.toolchain import Toolchain


class Recorder:
    """A Reporter that keeps every event, as (service, event, detail)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def stage_started(self, service: str, stage: str) -> None:
        with self._lock:
            self.events.append((service, "started", stage))

    def stage_finished(self, service: str, record: StageRecord) -> None:
        with self._lock:
            self.events.append((service, f"{record.name} {record.status}", record.detail))

    def note(self, service: str, message: str) -> None:
        with self._lock:
            self.events.append((service, "note", message))


def fails(message: str) -> str:
    raise StageFailed(message, "fix it")


def test_each_stage_is_timed_described_and_reported() -> None:
    reporter = Recorder()
    stages = _Stages("alpha", reporter)

    value = stages.run("package", lambda: 41, lambda built: f"built {built}")

    assert value == 41
    assert reporter.events == [("alpha", "started", "package"), ("alpha", "package succeeded", "built 41")]
    (record,) = stages.records
    assert (record.name, record.status, record.detail) == ("package", "succeeded", "built 41")
    assert record.seconds >= 0 and record.started_at > 0


def test_a_failed_stage_records_its_first_line_and_the_rest_are_skipped_in_pipeline_order() -> None:
    reporter = Recorder()
    stages = _Stages("alpha", reporter)
    stages.run("package", lambda: "zip", str)

    with pytest.raises(StageFailed, match="plan: refused"):
        stages.run("plan", lambda: fails("plan: refused\nthe whole plan output"), str)
    stages.run("test", lambda: "3 passed", str)  # the test stage runs beside the others and may end last
    stages.skip_rest()

    records = stages.records
    assert [record.name for record in records] == list(STAGES)
    assert [(record.status, record.detail) for record in records] == [
        ("succeeded", "3 passed"), ("succeeded", "zip"), ("failed", "plan: refused"),
        ("skipped", "an earlier stage failed"), ("skipped", "an earlier stage failed"),
    ]
    assert [record.started_at for record in records if record.status == "skipped"] == [0.0, 0.0]
    assert reporter.events[-2:] == [("alpha", "deploy skipped", "an earlier stage failed"),
                                    ("alpha", "verify skipped", "an earlier stage failed")]


def test_a_bug_in_a_stage_is_not_recorded_as_a_failed_stage() -> None:
    stages = _Stages("alpha", Recorder())

    with pytest.raises(ZeroDivisionError):
        stages.run("package", lambda: 1 // 0, str)

    assert stages.records == ()


def test_a_refusal_before_any_stage_skips_all_five_with_its_reason() -> None:
    stages = _Stages("alpha", Recorder())

    stages.skip_rest("refused before any stage ran")

    assert [(record.name, record.status, record.detail) for record in stages.records] == [
        (stage, "skipped", "refused before any stage ran") for stage in STAGES
    ]


def reviewed(tmp_path: Path, has_changes: bool) -> ReviewedPlan:
    toolchain = Toolchain(binary="terraform", version="1.11.0", cli_config=tmp_path / "terraform.rc", mirror=None)
    terraform = Terraform(toolchain, tmp_path / "root", tmp_path / "data", {})
    return ReviewedPlan(terraform, tmp_path / "plan.tfplan", has_changes, "f" * 64)


def test_the_plan_stage_says_whether_terraform_ran_and_what_it_found(tmp_path: Path) -> None:
    assert _describe_plan(DeployPlan("key", "hash", None)) == "infra inputs unchanged, Terraform skipped; no drift"
    assert _describe_plan(DeployPlan("key", "hash", reviewed(tmp_path, has_changes=False))) == "no infra changes"
    assert _describe_plan(DeployPlan("key", "hash", reviewed(tmp_path, has_changes=True))) == (
        "infra changes planned and reviewed (plan ffffffffffff)"
    )


def test_the_deploy_stage_names_the_versions_live_serves() -> None:
    versions = {"put_location": "3", "get_location": "12"}

    assert _describe_deploy(True, versions) == "live -> get_location@12, put_location@3"
    assert _describe_deploy(False, versions) == (
        "no changes: live already serves this artifact (get_location@12, put_location@3)"
    )
