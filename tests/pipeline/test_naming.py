"""The naming conventions ops' IAM root and the pipeline share: spelled the same on both sides."""

from __future__ import annotations

import re

from pipeline.paths import PROJECT_ROOT
from pipeline.project.naming import (
    DEPLOYER_ROLE_PATH,
    artifact_key,
    deployer_role_name,
    function_name,
    resource_prefix,
    role_name,
)

DEPLOYER_MODULE = PROJECT_ROOT / "modules" / "iam" / "deployer" / "main.tf"


def terraform_value(template: str, environment: str, service: str) -> str:
    """A Terraform string template with var.environment and var.service filled in."""
    return template.replace("${var.environment}", environment).replace("${var.service}", service)


def test_functions_and_their_roles_are_named_after_environment_service_and_function() -> None:
    assert resource_prefix("dev", "location") == "dev-location"
    assert function_name("dev", "location", "get_location") == "dev-location-get_location"
    assert role_name("dev", "location", "get_location") == function_name("dev", "location", "get_location")


def test_the_deployer_role_is_the_one_ops_iam_creates() -> None:
    module = DEPLOYER_MODULE.read_text()
    name = re.search(r'^\s*name\s+=\s+"([^"]*deployer[^"]*)"', module, re.MULTILINE)
    path = re.search(r'^\s*path\s+=\s+"([^"]+)"', module, re.MULTILINE)

    assert name and terraform_value(name.group(1), "dev", "location") == deployer_role_name("dev", "location")
    assert path and path.group(1) == DEPLOYER_ROLE_PATH


def test_artifacts_go_where_the_deployer_may_write() -> None:
    grant = re.search(r'"arn:\$\{local.partition\}:s3:::\$\{var.artifact_bucket\}/(services/[^"]+)"', DEPLOYER_MODULE.read_text())

    assert grant
    assert artifact_key("location", "ab" * 32) == f"services/location/{'ab' * 32}.zip"
    assert artifact_key("location", "ab" * 32).startswith(terraform_value(grant.group(1), "dev", "location").rstrip("*"))
