"""Scaffolding: a new service folder rendered from the templates that loads and tests green."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import ScaffoldError
from pipeline.flows.scaffold import create_service, package_name, render
from pipeline.paths import PROJECT_ROOT
from pipeline.project.locks import lock_problem, service_lock_target


def test_rendered_files_name_the_service_and_its_package() -> None:
    files = render("order-book", "Orders.")

    assert {str(p) for p in files} >= {
        "service.yaml", "requirements.in", "requirements.txt", "src/order_book/__init__.py", "src/order_book/get_status.py",
        "tests/test_handlers.py", "infra/main.tf", "infra/variables.tf", "infra/outputs.tf", "infra/versions.tf",
    }
    assert "name: order-book" in files[Path("service.yaml")]
    assert "handler: order_book.get_status.handler" in files[Path("service.yaml")]
    assert "{{" not in "".join(files.values())


def test_packages_never_shadow_the_standard_library() -> None:
    assert package_name("profile") == "profile_service"
    assert package_name("order-book") == "order_book"


def test_a_created_service_loads_and_its_tests_pass(tmp_path: Path) -> None:
    services = tmp_path / "services"
    services.mkdir()
    for shared in ("modules", "libs"):  # what the new service refers to, outside its folder
        (tmp_path / shared).symlink_to(PROJECT_ROOT / shared)

    created = create_service("inventory", "Stock levels.", services_dir=services)

    assert created.roles == ("local-inventory-get_status",)
    assert (services / "inventory" / "infra" / ".terraform.lock.hcl").is_file()
    assert lock_problem(service_lock_target(services / "inventory" / "requirements.in", "python3.11")) is None
    env = {**os.environ, "PYTHONPATH": f"{services / 'inventory' / 'src'}{os.pathsep}{PROJECT_ROOT / 'libs' / 'service_kit'}"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                            cwd=services / "inventory", env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(("name", "message"), [("Bad_Name", "not a valid service name"), ("taken", "already exists")])
def test_bad_or_taken_names_write_nothing(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "taken").mkdir()

    with pytest.raises(ScaffoldError, match=message):
        create_service(name, "x", services_dir=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
