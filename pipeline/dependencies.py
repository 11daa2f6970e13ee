"""The dependency graph change detection needs, read from a checkout.

Only the parts the changed paths can touch are read: module calls when a module changed, lib
declarations and imports when a lib changed, so a small change in a big monorepo stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pipeline import git
from pipeline.changes import DependencyGraph, ServiceDependencies, lib_of, module_of
from pipeline.paths import PROJECT_ROOT
from pipeline.tfmodules import module_sources
from pipeline.services import MANIFEST_NAME


def _module_paths(infra: Path, repo: Path, sources: dict[Path, list[Path]]) -> dict[str, tuple[str, ...]]:
    """Every module folder `infra` uses -> the modules it is reached through (breadth first)."""
    found: dict[str, tuple[str, ...]] = {}
    pending: list[tuple[Path, tuple[str, ...]]] = [(infra, ())]
    while pending:
        folder, via = pending.pop(0)
        if folder not in sources:
            sources[folder] = module_sources(folder)
        for module in sources[folder]:
            name = module.relative_to(repo).as_posix()
            if name not in found:
                found[name] = via
                pending.append((module, (*via, name)))
    return found


def _declared_libs(manifest: Path, libs: set[str]) -> tuple[str, ...]:
    """The libs among `libs` the manifest declares; the YAML is parsed only if it names one."""
    text = manifest.read_text()
    if not any(lib in text for lib in libs):
        return ()
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return ()  # the deploy reports a broken manifest properly; detection must not stop on it
    declared = data.get("libs", []) if isinstance(data, dict) else []
    return tuple(lib for lib in declared if lib in libs) if isinstance(declared, list) else ()


def build_graph(changed: Iterable[str], repo: Path = PROJECT_ROOT) -> DependencyGraph:
    """What each service under `repo`/services uses, as far as the `changed` paths need.

    Never raises for a broken manifest (it counts as declaring no libs); OSError if unreadable.
    """
    paths = list(changed)
    return _graph(repo, {lib for lib in map(lib_of, paths) if lib}, any(module_of(path) for path in paths))


def full_graph(repo: Path = PROJECT_ROOT) -> DependencyGraph:
    """Everything each service uses: every module its root reaches and every lib under libs/."""
    libs = {folder.name for folder in (repo / "libs").glob("*") if folder.is_dir()}
    return _graph(repo, libs, need_modules=True)


def _graph(repo: Path, libs: set[str], need_modules: bool) -> DependencyGraph:
    repo = repo.resolve()
    imports = git.files_importing(sorted(libs), cwd=repo) if libs else {}
    sources: dict[Path, list[Path]] = {}
    services: dict[str, ServiceDependencies] = {}
    for manifest in sorted((repo / "services").glob(f"*/{MANIFEST_NAME}")):
        name = manifest.parent.name
        folder_prefix = f"services/{name}/"
        infra = manifest.parent / "infra"
        services[name] = ServiceDependencies(
            modules=_module_paths(infra, repo, sources) if need_modules and infra.is_dir() else {},
            declared_libs=_declared_libs(manifest, libs) if libs else (),
            lib_imports={
                lib: tuple(path for path in files if path.startswith(folder_prefix))
                for lib, files in imports.items()
                if any(path.startswith(folder_prefix) for path in files)
            },
        )
    return DependencyGraph(services)
