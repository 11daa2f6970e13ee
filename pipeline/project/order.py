"""Deploy order: a service deploys after the services it calls (callees first).

A service depends on the services whose APIs it calls (`calls_apis`), whose functions it
invokes (`invokes`), and whose APIs its smoke checks use (`smoke.checks[].service`): those
must answer before its own verify can pass. Levels are pure logic over that graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from pipeline.errors import ManifestError
from pipeline.project.manifest import Manifest
from pipeline.project.services import SERVICES_DIR, load_service, service_names


def callees(manifest: Manifest) -> set[str]:
    """The other services `manifest`'s service calls, invokes, or checks through."""
    found = set()
    for function in manifest.functions.values():
        found |= set(function.calls_apis) | {ref.split(".", 1)[0] for ref in function.invokes}
    if manifest.smoke is not None:
        found |= {check.service for check in manifest.smoke.checks if check.service}
    return found - {manifest.name}


def levels(names: Iterable[str], callees_of: Callable[[str], set[str]]) -> dict[str, int]:
    """Each service's level, for `names` and every service they reach: 0 calls nothing, n calls up to n-1.

    Raises ManifestError naming the services of a cycle (a -> b -> a).
    """
    level: dict[str, int] = {}

    def visit(name: str, path: tuple[str, ...]) -> int:
        if name in path:
            cycle = " -> ".join((*path[path.index(name):], name))
            raise ManifestError(f"services call each other in a cycle: {cycle}",
                                "no order deploys a cycle: remove one call (calls_apis, invokes or a smoke check)")
        if name not in level:
            level[name] = 1 + max((visit(callee, (*path, name)) for callee in sorted(callees_of(name))), default=-1)
        return level[name]

    for name in sorted(names):
        visit(name, ())
    return level


def _callees_here(services_dir: Path) -> Callable[[str], set[str]]:
    """Callees of a service read from its manifest, limited to services present (a deleted one is left out)."""
    present = set(service_names(services_dir))
    return lambda name: callees(load_service(name, services_dir).manifest) & present


def deploy_levels(names: Iterable[str], services_dir: Path = SERVICES_DIR) -> dict[str, int]:
    """The level of each service in `names`, reading the manifests of those they reach.

    Raises ManifestError for a cycle or a broken manifest, ServiceNotFound for a name in
    `names` that is not a service.
    """
    requested = list(names)
    found = levels(requested, _callees_here(services_dir))
    return {name: found[name] for name in requested}


def reached(name: str, services_dir: Path = SERVICES_DIR) -> set[str]:
    """Every service `name` calls, directly or through others. Raises ManifestError for a broken manifest."""
    callees_of = _callees_here(services_dir)
    seen: set[str] = set()
    pending = [name]
    while pending:
        for callee in callees_of(pending.pop()) - seen:
            seen.add(callee)
            pending.append(callee)
    return seen


def in_levels(names: Iterable[str], level_of: dict[str, int]) -> list[list[str]]:
    """`names` grouped by level, lowest first; each group sorted."""
    grouped: dict[int, list[str]] = {}
    for name in names:
        grouped.setdefault(level_of[name], []).append(name)
    return [sorted(grouped[level]) for level in sorted(grouped)]
