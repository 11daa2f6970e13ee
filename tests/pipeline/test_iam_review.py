"""Ops' review of ops/iam: what a saved plan depends on, and an apply refused when any of it changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.aws import Target
from pipeline.errors import IamPlanError
from pipeline.flows.iam_review import (
    INPUTS_NAME,
    PLAN_NAME,
    apply,
    changed_inputs,
    input_digests,
    review_inputs,
)
from pipeline.paths import PROJECT_ROOT
from pipeline.project.environments import get_environment
from pipeline.state.bootstrap import IAM_ROOT, iam_variables
from pipeline.terraform.roots import data_dir
from pipeline.terraform.toolchain import Toolchain

DEV = Target(get_environment("dev"))  # no request reaches AWS: the refusals come first


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_plan_depends_on_ops_iam_the_iam_modules_and_every_manifest(tmp_path: Path) -> None:
    expected = [
        write(tmp_path / "modules" / "iam" / "deployer" / "main.tf", "# deployer\n"),
        write(tmp_path / "ops" / "iam" / "main.tf", "# roles\n"),
        write(tmp_path / "services" / "alpha" / "service.yaml", "name: alpha\n"),
        write(tmp_path / "services" / "beta" / "service.yaml", "name: beta\n"),
    ]
    write(tmp_path / "modules" / "table" / "main.tf", "# not IAM\n")
    write(tmp_path / "services" / "alpha" / "src" / "alpha" / "run.py", "# code\n")

    assert review_inputs(tmp_path, tmp_path / "services") == sorted(expected)


def test_digests_name_each_input_by_project_path_and_cover_the_variables(tmp_path: Path) -> None:
    manifest = write(tmp_path / "services" / "alpha" / "service.yaml", "name: alpha\n")
    before = input_digests([manifest], {"environment": "dev"}, tmp_path)
    manifest.write_text("name: alpha\nfunctions: {}\n")
    after = input_digests([manifest], {"environment": "prod"}, tmp_path)

    assert set(before) == {"services/alpha/service.yaml", "(variables)"}
    assert changed_inputs(before, after) == ["(variables)", "services/alpha/service.yaml"]
    assert changed_inputs(before, before) == []
    assert changed_inputs({"gone": "1", "same": "2"}, {"same": "2", "new": "3"}) == ["gone", "new"]


@pytest.fixture(autouse=True)
def own_local_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Saved plans of this module's own: the suite's local folder must hold no plan left unapplied."""
    monkeypatch.setenv("DEPLOY_LOCAL_DIR", str(tmp_path / "local"))


@pytest.fixture
def toolchain(tmp_path: Path) -> Toolchain:
    return Toolchain(binary="terraform", version="1.11.0", cli_config=tmp_path / "terraform.rc", mirror=None)


def test_apply_without_a_saved_plan_is_refused(toolchain: Toolchain) -> None:
    with pytest.raises(IamPlanError, match="no saved ops/iam plan for 'dev'") as refused:
        apply(DEV, toolchain)

    assert refused.value.hint == "run make iam-plan ENV=dev, review it, then make iam-apply ENV=dev"


def test_apply_of_a_plan_whose_inputs_changed_since_is_refused_and_names_them(toolchain: Toolchain) -> None:
    saved = data_dir(DEV, IAM_ROOT)
    saved.mkdir(parents=True, exist_ok=True)
    digests = input_digests(review_inputs(), iam_variables(DEV))
    digests["services/location/service.yaml"] = "edited since"
    digests["ops/iam/removed.tf"] = "deleted since"
    (saved / INPUTS_NAME).write_text(json.dumps(digests))
    (saved / PLAN_NAME).write_bytes(b"a saved plan")

    with pytest.raises(IamPlanError, match="stale: changed since the plan: ops/iam/removed.tf, "
                                           "services/location/service.yaml$") as refused:
        apply(DEV, toolchain)

    assert refused.value.hint == "plan again and review the new summary: make iam-plan ENV=dev"
    assert (saved / PLAN_NAME).is_file(), "a refused plan stays for the review"
    assert (PROJECT_ROOT / "services" / "location" / "service.yaml").is_file()
