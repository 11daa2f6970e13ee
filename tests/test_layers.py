"""Imports point down the layers: `ls pipeline/` reads bottom to top as the story of a deploy."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from pipeline.paths import PROJECT_ROOT

# Bottom to top. A module may import its own layer and the layers below it, never one above.
LAYERS = (
    "errors", "paths",  # the base: typed errors, where things live
    "project",  # what the repository declares: environments, manifests, names
    "policy",  # ops' controls over what a service may declare and apply
    "emulator",  # the embedded AWS
    "aws",  # sessions and identities, in AWS or the emulator
    "local",  # the local gateway over deployed services (verify sends smoke checks through it)
    "terraform",  # the toolchain, the runner, roots and modules
    "state",  # ledger, locks, bootstrap, preflight
    "changes",  # which services a commit touches
    "stages",  # package, deploy, verify, invoke
    "flows",  # whole operations built from stages
    "console",  # the local console's page over flows, served by the gateway
)


def layer(module: str) -> int | None:
    """The layer of a `pipeline.*` module, len(LAYERS) for the CLI, None for anything else."""
    parts = module.split(".")
    if parts[0] == "cli":
        return len(LAYERS)
    if parts[0] != "pipeline" or len(parts) < 2:
        return None
    return LAYERS.index(parts[1])


def imported_modules(tree: ast.AST) -> Iterable[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pipeline":  # `from pipeline import emulator` names a layer
                yield from (f"pipeline.{alias.name}" for alias in node.names)
            else:
                yield node.module


def upward_imports(sources: Iterable[tuple[str, str]]) -> list[str]:
    """Every import in (module name, source) pairs that points to a higher layer, as readable lines."""
    found = []
    for module, source in sources:
        own = layer(module)
        for target in imported_modules(ast.parse(source)):
            theirs = layer(target)
            if own is not None and theirs is not None and theirs > own:
                found.append(f"{module} imports {target}")
    return found


def project_sources() -> list[tuple[str, str]]:
    files = sorted((PROJECT_ROOT / "pipeline").rglob("*.py")) + sorted((PROJECT_ROOT / "cli").rglob("*.py"))
    return [
        (".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__"), path.read_text())
        for path in files
    ]


def test_every_module_and_package_of_pipeline_has_a_layer() -> None:
    top = PROJECT_ROOT / "pipeline"
    names = {path.stem for path in top.glob("*.py")} | {path.parent.name for path in top.glob("*/__init__.py")}
    assert names - {"__init__"} == set(LAYERS)


def test_imports_point_down_the_layers() -> None:
    assert upward_imports(project_sources()) == []


def test_an_upward_import_is_caught() -> None:
    planted = ("pipeline.project.services", "from pipeline.flows.execution import deploy_service\n")
    assert upward_imports([*project_sources(), planted]) == [
        "pipeline.project.services imports pipeline.flows.execution"]
    assert upward_imports([("pipeline.stages.deploy", "def f():\n    import cli.main\n")]) == [
        "pipeline.stages.deploy imports cli.main"]
