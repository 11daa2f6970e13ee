"""Which repository paths a service depends on, as path globs: one rule for every runner.

`deploy.py changed`, the CodePipeline trigger filters (ops/pipelines) and the GitHub Actions
matrix all select services through `path_globs`, so they cannot disagree about what a change
touches. `dependency_set` reads the tree; everything else here is pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pipeline.paths import PROJECT_ROOT
from pipeline.roots import module_dirs
from pipeline.services import Service


@dataclass(frozen=True)
class DependencySet:
    """Folders (relative to the project root, POSIX) whose contents a service's deploy depends on."""

    folder: str  # services/<name>: manifest, source, tests, requirements.txt, infra root
    modules: tuple[str, ...] = ()  # local Terraform modules the infra root uses, transitively
    libs: tuple[str, ...] = ()  # libs/<lib>: the package and its requirements.txt


def dependency_set(service: Service) -> DependencySet:
    """What `service` depends on in the tree. Raises nothing for a root without local modules."""
    modules = module_dirs(service.infra_dir) if service.infra_dir.is_dir() else []
    return DependencySet(
        folder=service.folder.resolve().relative_to(PROJECT_ROOT).as_posix(),
        modules=tuple(module.relative_to(PROJECT_ROOT).as_posix() for module in modules),
        libs=tuple(lib.resolve().relative_to(PROJECT_ROOT).as_posix() for lib in service.lib_dirs),
    )


def path_globs(dependencies: DependencySet) -> tuple[str, ...]:
    """One `<folder>/**` glob per folder the service depends on, sorted and without repeats."""
    folders = {dependencies.folder, *dependencies.modules, *dependencies.libs}
    return tuple(sorted(f"{folder}/**" for folder in folders))


@lru_cache(maxsize=256)
def _glob_pattern(glob: str) -> re.Pattern[str]:
    # CodePipeline's glob dialect: `**` spans folders, `*` and `?` stay within one path segment.
    parts = re.split(r"(\*\*/?|\*|\?)", glob)
    translated = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(translated.get(part, re.escape(part)) for part in parts) + r"\Z")


def matches(path: str, globs: Iterable[str]) -> bool:
    """Whether the POSIX repository path `path` matches any of `globs`."""
    return any(_glob_pattern(glob).match(path) for glob in globs)
