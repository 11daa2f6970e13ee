"""Terraform modules up to their anchor: documented as coded, validated, and each example planned.

The README checks are fast (python-hcl2). The rest runs real Terraform and is marked e2e: every
root validates, and every module's example root validates and plans against the suite's emulator
(applied where that is cheap). `terraform validate` checks a root's whole module tree, so each
module is validated through its example (and through the roots that use it) rather than again
on its own, which would cost another init and validate per module.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.aws import Identity, Target
from pipeline.errors import TerraformError
from pipeline.paths import PROJECT_ROOT
from pipeline.terraform.module_docs import module_folders, readme_tables, render_tables, update_readme
from pipeline.terraform.roots import all_roots, root_id, terraform_for
from pipeline.terraform.runner import Terraform
from pipeline.terraform.toolchain import Toolchain, ensure_toolchain

MODULES = module_folders()
EXAMPLES = sorted(root for root in all_roots() if "examples" in root.parts)
APPLIED = {"alarms", "table", "versioned-bucket", "permission-boundary"}  # cheap and quick against the emulator
# The service example finds the execution role ops would create for its one function.
SERVICE_EXAMPLE_ROLE = ("example-orders-get_order", "/services/orders/")


def ids(paths: list[Path]) -> list[str]:
    return [root_id(path) for path in paths]


@pytest.mark.parametrize("module", MODULES, ids=ids(MODULES))
def test_the_readme_tables_are_the_ones_the_code_gives(module: Path) -> None:
    documented = readme_tables((module / "README.md").read_text())

    assert documented == render_tables(module), f"run `make module-docs`: {root_id(module)}/README.md differs from its code"


def test_a_variable_the_readme_does_not_know_is_noticed(tmp_path: Path) -> None:
    module = tmp_path / "copy"
    shutil.copytree(PROJECT_ROOT / "modules" / "table", module, ignore=shutil.ignore_patterns("examples"))
    documented = readme_tables((module / "README.md").read_text())
    with (module / "variables.tf").open("a") as variables:
        variables.write('\nvariable "stream_enabled" {\n  description = "Whether to stream changes."\n  type = bool\n}\n')

    rendered = render_tables(module)
    assert documented != rendered
    assert "| `stream_enabled` | Whether to stream changes. | `bool` | required |" in rendered


def test_regenerating_replaces_only_the_tables_and_then_changes_nothing(tmp_path: Path) -> None:
    module = tmp_path / "copy"
    shutil.copytree(PROJECT_ROOT / "modules" / "table", module, ignore=shutil.ignore_patterns("examples"))
    readme = module / "README.md"
    by_hand = readme.read_text().split("<!--")[0]
    (module / "outputs.tf").write_text('output "table_name" {\n  description = "Its name."\n  value = "t"\n}\n')

    assert update_readme(module) is True
    assert readme.read_text().startswith(by_hand)
    assert readme_tables(readme.read_text()) == render_tables(module)
    assert "| `table_arn` |" not in readme.read_text()
    assert update_readme(module) is False


@pytest.mark.parametrize("module", MODULES, ids=ids(MODULES))
def test_every_module_has_an_example_that_calls_it(module: Path) -> None:
    example = module / "examples" / "minimal"

    assert example in EXAMPLES, f"{root_id(module)} needs examples/minimal/ (main.tf, outputs.tf, versions.tf, lock file)"
    assert 'source = "../.."' in (example / "main.tf").read_text()


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    return ensure_toolchain()


def validate(terraform: Terraform, *init_args: str) -> None:
    """`terraform init` without a backend, then `terraform validate`; raises TerraformError on any finding."""
    terraform.run(["init", "-backend=false", "-input=false", "-no-color", *init_args])
    terraform.run(["validate", "-no-color"])


def scaffolded_root(folder: Path) -> Path:
    """The infra root `make new-service` writes, in a copy that sees the real modules/."""
    from pipeline.flows.scaffold import create_service

    (folder / "services").mkdir(parents=True)
    for shared in ("modules", "libs"):  # what the new service refers to, outside its folder
        (folder / shared).symlink_to(PROJECT_ROOT / shared)
    return create_service("inventory", "Stock levels.", services_dir=folder / "services").folder / "infra"


ROOTS = sorted(root for root in all_roots() if "examples" not in root.parts)


@pytest.mark.e2e
@pytest.mark.parametrize("root", [*ROOTS, None], ids=[*ids(ROOTS), "new-service template"])
def test_every_root_validates(root: Path | None, toolchain: Toolchain, tmp_path: Path) -> None:
    root = root or scaffolded_root(tmp_path / "project")

    validate(Terraform(toolchain, root, tmp_path / "data", {}), "-lockfile=readonly")


BAD_CALLS = """
module "table" {
  source        = "../modules/table"
  table_name    = "example-orders"
  hash_key      = "order_id"
  hash_key_type = "STRING"
}

module "bucket" {
  source      = "../modules/versioned-bucket"
  bucket_name = "Example_Artifacts"
}

module "service" {
  source          = "../modules/service"
  environment     = "example"
  artifact_bucket = "example-artifacts"
  artifact_key    = "orders.zip"
  manifest = {
    name      = "orders"
    runtime   = "nodejs20.x"
    functions = { get_order = { handler = "orders.get_order.handler", memory_mb = "lots" } }
  }
}
"""


@pytest.mark.e2e
def test_validation_refuses_bad_enumerations_names_and_manifest_types(toolchain: Toolchain, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "modules").symlink_to(PROJECT_ROOT / "modules")
    (root / "main.tf").write_text(BAD_CALLS)

    with pytest.raises(TerraformError) as refused:
        validate(Terraform(toolchain, root, tmp_path / "data", {}))

    assert "module.service.var.manifest" in refused.value.message and "a number is required" in refused.value.message
    (root / "main.tf").write_text(BAD_CALLS.replace(', memory_mb = "lots"', ""))
    with pytest.raises(TerraformError) as refused:
        validate(Terraform(toolchain, root, tmp_path / "data", {}))
    for message in ("hash_key_type must be S, N or B", "bucket_name must be a valid S3 bucket name",
                    "manifest.runtime must be python3.11, python3.12 or python3.13"):
        assert message in refused.value.message


@pytest.fixture(scope="module")
def service_example_role(local_target: Target) -> Iterator[None]:
    iam = local_target.client("iam", Identity.OPS)
    name, path = SERVICE_EXAMPLE_ROLE
    trust = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
    iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust)
    yield
    iam.delete_role(RoleName=name)


@pytest.mark.e2e
@pytest.mark.parametrize("example", EXAMPLES, ids=ids(EXAMPLES))
def test_every_example_plans_against_the_emulator(
    example: Path, local_target: Target, toolchain: Toolchain, service_example_role: None, tmp_path: Path
) -> None:
    terraform = terraform_for(local_target, toolchain, example, Identity.OPS)
    terraform.init({"path": str(tmp_path / "terraform.tfstate")})
    terraform.run(["validate", "-no-color"])

    plan = terraform.plan(terraform.data_dir / "plan.tfplan")

    assert plan.has_changes
    if example.parent.parent.name in APPLIED:
        terraform.apply(plan.path)
        assert terraform.outputs()
        assert not terraform.plan(terraform.data_dir / "again.tfplan").has_changes, "a second plan should be empty"
