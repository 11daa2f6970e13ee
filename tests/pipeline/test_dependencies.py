"""The dependency graph change detection reads: module calls, declared libs and lib imports, from git."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.changes.dependencies import build_graph, full_graph, modules_reached
from pipeline.changes.rules import ServiceDependencies
from tests.pipeline.test_changes import FILES, MANIFEST, commit, run_git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    run_git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, dict(FILES), "initial")
    return tmp_path


def test_modules_are_reached_breadth_first_with_the_path_through_them() -> None:
    calls = {"root": ["modules/stack", "modules/table"], "modules/stack": ["modules/table", "modules/alarms"],
             "modules/alarms": ["modules/stack"]}

    assert modules_reached("root", calls) == {
        "modules/stack": (), "modules/table": (), "modules/alarms": ("modules/stack",),
    }
    assert modules_reached("elsewhere", calls) == {}


def test_the_full_graph_has_every_module_declared_lib_and_import(repo: Path) -> None:
    graph = full_graph(repo)

    assert graph.services == {
        "alpha": ServiceDependencies(modules={"modules/table": ()}, declared_libs=(),
                                     lib_imports={"geo": ("services/alpha/src/alpha/run.py",)}),
        "beta": ServiceDependencies(modules={"modules/stack": (), "modules/table": ("modules/stack",)},
                                    declared_libs=("obs",)),
        "gamma": ServiceDependencies(),
    }


def test_only_what_the_changed_paths_can_touch_is_read(repo: Path) -> None:
    code_only = build_graph(["services/gamma/src/gamma/run.py"], repo)
    lib_only = build_graph(["libs/obs/obs/__init__.py"], repo)
    module_only = build_graph(["modules/table/main.tf"], repo)

    assert set(code_only.services) == {"alpha", "beta", "gamma"}
    assert all(uses == ServiceDependencies() for uses in code_only.services.values())
    assert {name: uses.declared_libs for name, uses in lib_only.services.items()} == {"alpha": (), "beta": ("obs",), "gamma": ()}
    assert all(not uses.modules and not uses.lib_imports for uses in lib_only.services.values())
    assert module_only.services["beta"].modules == {"modules/stack": (), "modules/table": ("modules/stack",)}
    assert all(not uses.declared_libs for uses in module_only.services.values())


def test_libs_declared_in_block_style_count_and_a_broken_manifest_declares_none(repo: Path) -> None:
    commit(repo, {
        "services/gamma/service.yaml": MANIFEST.format(name="gamma", libs="\n  - geo\n  - unknown"),
        "services/alpha/service.yaml": "name: alpha\nlibs: [geo\n  : broken",
    })

    graph = full_graph(repo)

    assert graph.services["gamma"].declared_libs == ("geo",)
    assert graph.services["alpha"].declared_libs == ()
