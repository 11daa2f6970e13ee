"""Which local modules a Terraform root uses, followed through modules that call modules."""

from __future__ import annotations

from pathlib import Path

from pipeline.paths import PROJECT_ROOT
from pipeline.terraform.modules import module_dirs, module_sources


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_local_calls_are_followed_transitively_once_each_and_others_ignored(tmp_path: Path) -> None:
    write(tmp_path / "root" / "main.tf", 'module "a" {\n  source = "../modules/a"\n}\n'
                                         'module "b" {\n  source  = "../modules/b"\n}\n'
                                         'module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n')
    write(tmp_path / "modules" / "a" / "main.tf", 'module "shared" {\n  source = "../shared"\n}\n')
    write(tmp_path / "modules" / "b" / "main.tf", 'module "shared" {\n  source = "../shared"\n}\n'
                                                  '# source = "../commented-out"\n')
    write(tmp_path / "modules" / "shared" / "main.tf", 'module "loop" {\n  source = "../a"\n}\n')
    write(tmp_path / "modules" / "b" / "nested" / "main.tf", 'module "x" {\n  source = "../../unused"\n}\n')

    modules = tmp_path / "modules"
    assert module_sources(tmp_path / "root") == [modules / "a", modules / "b"]
    assert module_dirs(tmp_path / "root") == [modules / "a", modules / "b", modules / "shared"]


def test_a_root_without_module_calls_uses_none(tmp_path: Path) -> None:
    write(tmp_path / "root" / "main.tf", 'resource "terraform_data" "x" {}\n')

    assert module_dirs(tmp_path / "root") == []


def test_the_location_root_reaches_the_service_module_and_what_it_calls() -> None:
    used = module_dirs(PROJECT_ROOT / "services" / "location" / "infra")

    assert used == sorted(used)
    assert PROJECT_ROOT / "modules" / "service" in used and PROJECT_ROOT / "modules" / "function" in used
    assert not any(path.is_relative_to(PROJECT_ROOT / "modules" / "iam") for path in used)
