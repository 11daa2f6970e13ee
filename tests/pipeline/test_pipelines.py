"""CodePipeline trigger filters select exactly what `deploy.py changed` selects, path by path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.changes.globs import matches
from pipeline.changes.rules import PathFilter
from tests.e2e.conftest import copy_project
from tests.pipeline.test_changes import FILES, commit, run_git

# Paths the filters must leave alone, whatever they include.
NEGATIVE_PROBES = [
    "services/alpha/NOTES.md", "modules/table/README.md", "modules/table/examples/basic/main.tf",
    "ops/iam/extra.tf", "modules/iam/function-role/extra.tf", "toolchain.toml", "libs/unused/unused/x.py",
]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real project plus services using modules through modules, declared and imported libs."""
    root = copy_project(tmp_path_factory.mktemp("triggers") / "repo").root
    run_git(root, "init", "-q", "-b", "main")
    commit(root, {path: text for path, text in FILES.items() if path != "README.md"}, "initial")
    return root


def deploy_py(repo: Path, *args: str) -> str:
    result = subprocess.run([sys.executable, "deploy.py", *args], cwd=repo, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def probe_path(glob: str) -> str:
    """A concrete file the glob matches: a file below `**`, a file for `*`."""
    return glob.replace("**", "probe/changed.py").replace("*", "changed.tf")


def test_every_listed_path_selects_exactly_the_services_whose_filter_matches(repo: Path) -> None:
    filters = {name: PathFilter(tuple(found["includes"]), tuple(found["excludes"]))
               for name, found in json.loads(deploy_py(repo, "pipelines", "triggers")).items()}
    assert {"alpha", "beta", "gamma", "location"} <= set(filters)
    assert "libs/geo/**" in filters["alpha"].includes and "libs/obs/**" in filters["beta"].includes
    assert "modules/table/*" in filters["beta"].includes  # reached through modules/stack

    probes = sorted({probe_path(glob) for found in filters.values() for glob in found.includes}) + NEGATIVE_PROBES
    for path in probes:
        commit(repo, {path: f"# {path}\n"}, f"probe {path}")
        changed = json.loads(deploy_py(repo, "changed", "--since", "HEAD~1", "--json"))
        by_filter = {name for name, found in filters.items()
                     if matches(path, found.includes) and not matches(path, found.excludes)}
        assert {item["service"] for item in changed["services"]} == by_filter, path
