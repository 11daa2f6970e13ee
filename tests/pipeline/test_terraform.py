"""The Terraform runner reuses an initialised data dir only while everything init read is unchanged.

Real Terraform on roots with a local backend and Terraform's built-in `terraform_data`, so no
provider or emulator is needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.terraform.runner import Terraform
from pipeline.terraform.toolchain import ensure_toolchain

pytestmark = pytest.mark.e2e  # real Terraform, though no emulator


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    write(folder / "versions.tf", 'terraform {\n  backend "local" {}\n}\n')
    write(folder / "main.tf", 'resource "terraform_data" "marker" {\n  input = "one"\n}\n')
    return folder


def runner(root: Path) -> Terraform:
    return Terraform(ensure_toolchain(), root, root.parent / "data", {})


def test_an_unchanged_root_is_not_initialised_twice(root: Path) -> None:
    backend = {"path": str(root.parent / "state.tfstate")}
    terraform = runner(root)

    assert terraform.init(backend) is True
    assert terraform.init(backend) is False
    assert terraform.plan(root.parent / "plan.tfplan").has_changes


def test_a_new_module_call_runs_init_again_so_the_plan_finds_the_module(root: Path) -> None:
    backend = {"path": str(root.parent / "state.tfstate")}
    terraform = runner(root)
    terraform.init(backend)
    write(root.parent / "modules" / "extra" / "main.tf", 'resource "terraform_data" "extra" {}\n')
    write(root / "extra.tf", 'module "extra" {\n  source = "../modules/extra"\n}\n')

    assert terraform.init(backend) is True
    assert terraform.plan(root.parent / "plan.tfplan").has_changes


def test_a_changed_module_file_a_changed_backend_or_a_wiped_data_dir_run_init_again(root: Path) -> None:
    backend = {"path": str(root.parent / "state.tfstate")}
    write(root.parent / "modules" / "extra" / "main.tf", 'resource "terraform_data" "extra" {}\n')
    write(root / "extra.tf", 'module "extra" {\n  source = "../modules/extra"\n}\n')
    terraform = runner(root)
    terraform.init(backend)

    write(root.parent / "modules" / "extra" / "main.tf", 'resource "terraform_data" "extra" {\n  input = 2\n}\n')
    assert terraform.init(backend) is True

    assert terraform.init({"path": str(root.parent / "elsewhere.tfstate")}) is True

    (terraform.data_dir / "terraform.tfstate").unlink()
    assert terraform.init({"path": str(root.parent / "elsewhere.tfstate")}) is True
    assert terraform.init({"path": str(root.parent / "elsewhere.tfstate")}) is False
