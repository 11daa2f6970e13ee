"""A developer's deploy of a root that declares IAM is refused before anything runs or uploads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import copy_project

pytestmark = pytest.mark.e2e


def test_a_service_root_with_an_iam_role_is_refused_before_tests_and_terraform(tmp_path: Path) -> None:
    hostile = copy_project(tmp_path / "repo")
    main_tf = hostile.root / "services" / "location" / "infra" / "main.tf"
    lines = main_tf.read_text().splitlines()
    main_tf.write_text("\n".join([*lines, "", 'resource "aws_iam_role" "extra" {', '  name = "x"', "}", ""]))

    result = hostile.deploy_py("deploy", "--service", "location")

    assert result.returncode == 1, result.stdout + result.stderr
    assert f'services/location/infra/main.tf:{len(lines) + 2}: resource "aws_iam_role" "extra"' in result.stderr
    assert "make iam-plan" in result.stderr
    assert "[location] test ..." not in result.stdout, "the guard runs before the test stage"
    assert not (hostile.root / ".local" / "terraform").exists(), "nothing may reach terraform init"
    shutil.rmtree(hostile.root)
