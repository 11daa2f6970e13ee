"""The fast layer covers the core: every module in pipeline/ is imported by a test that is not e2e.

A module reached only through CLI runs against Terraform shows its mistakes late (the e2e tests
take many minutes); this keeps a fast test beside each one. Conftest files do not count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from pipeline.paths import PROJECT_ROOT


def module_names(package_dir: Path) -> list[str]:
    """Every module under `package_dir` as a dotted name; a package's __init__ is the package."""
    names = []
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def is_e2e(tree: ast.Module) -> bool:
    """Whether the test module marks all its tests e2e (`pytestmark = pytest.mark.e2e`)."""
    return any(
        isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
        and "e2e" in ast.unparse(node.value)
        for node in tree.body
    )


def imported_names(tree: ast.Module) -> set[str]:
    """Dotted names a module imports: `from a.b import c` counts as a.b and a.b.c."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def not_covered(modules: Iterable[str], test_files: Iterable[Path]) -> list[str]:
    """The modules no fast test file imports; a package counts as imported with any of its modules."""
    imported: set[str] = set()
    for path in test_files:
        tree = ast.parse(path.read_text(), str(path))
        if not is_e2e(tree):
            imported |= imported_names(tree)
    return [module for module in modules
            if module not in imported and not any(name.startswith(f"{module}.") for name in imported)]


def test_every_pipeline_module_is_imported_by_a_fast_test() -> None:
    missing = not_covered(module_names(PROJECT_ROOT / "pipeline"), (PROJECT_ROOT / "tests").rglob("test_*.py"))

    assert not missing, "no fast test imports these modules; add one under tests/ (not marked e2e):\n  " + "\n  ".join(missing)


def test_a_module_only_an_e2e_test_imports_is_reported(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    for name in ("__init__.py", "fast.py", "slow.py", "sub/__init__.py", "sub/deep.py"):
        (tmp_path / "pkg" / name).write_text("")
    (tmp_path / "test_fast.py").write_text("from pkg import fast\nfrom pkg.sub.deep import thing\n")
    (tmp_path / "test_slow.py").write_text("import pytest\n\nimport pkg.slow\n\npytestmark = pytest.mark.e2e\n")

    modules = module_names(tmp_path / "pkg")

    assert modules == ["pkg", "pkg.fast", "pkg.slow", "pkg.sub", "pkg.sub.deep"]
    assert not_covered(modules, [tmp_path / "test_fast.py", tmp_path / "test_slow.py"]) == ["pkg.slow"]
