"""The dependency graph change detection needs, read from the checkout's tracked files.

Only the parts the changed paths can touch are read: module calls when a module changed, lib
declarations and imports when a lib changed, all with one `git grep` over the repository rather
than a walk over a thousand folders, so a big monorepo stays fast.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from pathlib import Path

from pipeline.changes import git
from pipeline.changes.rules import DependencyGraph, ServiceDependencies, lib_of, module_of
from pipeline.paths import PROJECT_ROOT
from pipeline.project.services import MANIFEST_NAME, service_names
from pipeline.terraform.modules import LOCAL_MODULE_SOURCE

_IMPORT = re.compile(r"^\s*(?:from\s+(\w+)[\w.]*\s+import|import\s+(\w+))")
# `libs: [a, b]` on one line, the usual form, is read straight from the grep output.
_FLOW_LIBS = re.compile(r"^libs:\s*\[([\w\s,-]*)\]\s*(#.*)?$")


def modules_reached(root: str, calls: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """Every module folder `root` uses -> the modules it is reached through (breadth first)."""
    found: dict[str, tuple[str, ...]] = {}
    pending: list[tuple[str, tuple[str, ...]]] = [(root, ())]
    while pending:
        folder, via = pending.pop(0)
        for module in calls.get(folder, []):
            if module not in found:
                found[module] = via
                pending.append((module, (*via, module)))
    return found


def _declared(repo: Path, manifest: str, line: str, libs: set[str]) -> tuple[str, ...]:
    """The libs among `libs` the manifest declares, given a line of it that names one."""
    flow = _FLOW_LIBS.match(line)
    if flow:
        names: object = [name.strip() for name in flow.group(1).split(",")]
    else:
        import yaml

        try:
            data = yaml.load((repo / manifest).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            return ()  # the deploy reports a broken manifest properly; detection must not stop on it
        names = data.get("libs", []) if isinstance(data, dict) else []
    return tuple(lib for lib in names if lib in libs) if isinstance(names, list) else ()


def build_graph(changed: Iterable[str], repo: Path = PROJECT_ROOT) -> DependencyGraph:
    """What each service under `repo`/services uses, as far as the `changed` paths need.

    A manifest that is not valid YAML counts as declaring no libs. Raises GitError when git
    cannot search the repository.
    """
    paths = list(changed)
    return _graph(repo, sorted({lib for lib in map(lib_of, paths) if lib}), any(map(module_of, paths)))


def full_graph(repo: Path = PROJECT_ROOT) -> DependencyGraph:
    """Everything each service uses: every module its root reaches and every lib under libs/.

    Raises GitError when git cannot search the repository.
    """
    return _graph(repo, sorted(folder.name for folder in (repo / "libs").glob("*") if folder.is_dir()), True)


def _graph(repo: Path, libs: list[str], with_modules: bool) -> DependencyGraph:
    words = list(libs)
    pathspecs = ["services/*.py", f"services/*/{MANIFEST_NAME}"] if libs else []
    if with_modules:
        words.append("source")
        pathspecs.append("*.tf")
    calls: dict[str, list[str]] = {}
    importers: dict[str, dict[str, list[str]]] = {}
    declared: dict[str, tuple[str, ...]] = {}
    for path, line in git.grep_words(words, pathspecs, cwd=repo) if words else []:
        if path.endswith(".tf"):
            source = LOCAL_MODULE_SOURCE.match(line)
            if source:
                folder = posixpath.dirname(path)
                calls.setdefault(folder, []).append(posixpath.normpath(posixpath.join(folder, source.group(1))))
        elif path.endswith(".py"):
            statement = _IMPORT.match(line)
            package = statement and (statement.group(1) or statement.group(2))
            if package in libs and path.startswith("services/"):
                files = importers.setdefault(path.split("/")[1], {}).setdefault(package, [])
                if path not in files:
                    files.append(path)
        elif path.endswith(MANIFEST_NAME):
            service = path.split("/")[1]
            declared[service] = tuple(sorted({*declared.get(service, ()), *_declared(repo, path, line, set(libs))}))
    services = {}
    for name in service_names(repo / "services"):
        services[name] = ServiceDependencies(
            modules=modules_reached(f"services/{name}/infra", calls) if calls else {},
            declared_libs=declared.get(name, ()),
            lib_imports={lib: tuple(files) for lib, files in importers.get(name, {}).items()},
        )
    return DependencyGraph(services)
