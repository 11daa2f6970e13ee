"""Which services a set of changed paths affects, and why. Pure logic: no git, no files.

The caller supplies the changed paths (repository-relative, posix) and a `DependencyGraph`
describing what each service uses; `affected_services` applies the rules:

- a path in `services/<name>/` affects that service only (its own requirements included);
- a file directly in a Terraform module folder affects every service whose infra root uses the
  module, directly or through other modules;
- a path in `libs/<lib>/` affects every service that declares the lib or imports its package;
- `ops/` and `modules/iam/` never deploy services: they need ops review;
- a manifest whose grants (`permissions`, `invokes`, `calls_apis`) changed deploys its service
  and needs ops review too: ops/iam turns those grants into roles (selection reads the grants);
- docs (`*.md`, README files) affect nothing;
- a deleted `services/<name>/service.yaml` reports the service as deleted, never destroys it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.changes.globs import matches

OPS_PREFIXES = ("ops/", "modules/iam/")
# Documentation never changes what is deployed; CodePipeline triggers exclude the same globs.
DOCS_GLOBS = ("**/*.md", "**/README*")
MAX_REASONS = 10  # per service; a long history would otherwise list every path it touched


@dataclass(frozen=True)
class ServiceDependencies:
    """What one service's deploy depends on outside its own folder."""

    # module folder -> the modules through which the infra root reaches it (empty: used directly)
    modules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    declared_libs: tuple[str, ...] = ()
    # lib -> the service's files that import the lib's package
    lib_imports: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class DependencyGraph:
    services: dict[str, ServiceDependencies]


@dataclass(frozen=True)
class AffectedService:
    service: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class GrantReview:
    """A manifest whose grants changed: what ops must apply before its code can deploy."""

    service: str
    path: str
    changes: tuple[str, ...]  # "+ get_location: dynamodb:UpdateItem on table locations", "- ..."


@dataclass(frozen=True)
class ChangeReport:
    services: tuple[AffectedService, ...] = ()  # what would be deployed, sorted by name
    ops_review: tuple[str, ...] = ()  # changed paths ops must review and apply themselves
    deleted: tuple[str, ...] = ()  # services whose folder is gone; nothing is destroyed
    grants: tuple[GrantReview, ...] = ()  # manifests (also in ops_review) whose grants changed

    def merged(self, other: ChangeReport) -> ChangeReport:
        """Both reports in one, reasons of a service found in both combined."""
        reasons: dict[str, list[str]] = {}
        for affected in (*self.services, *other.services):
            reasons.setdefault(affected.service, []).extend(
                r for r in affected.reasons if r not in reasons.get(affected.service, [])
            )
        return ChangeReport(
            services=tuple(AffectedService(name, tuple(found)) for name, found in sorted(reasons.items())),
            ops_review=tuple(sorted({*self.ops_review, *other.ops_review})),
            deleted=tuple(sorted({*self.deleted, *other.deleted})),
            grants=tuple(sorted({*self.grants, *other.grants}, key=lambda review: review.path)),
        )


def is_docs(path: str) -> bool:
    """Markdown and README files: documentation that never changes what is deployed."""
    return matches(path, DOCS_GLOBS)


def lib_of(path: str) -> str | None:
    """The lib a path belongs to (libs/<lib>/...), if any."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "libs" else None


def service_of(path: str) -> str | None:
    """The service folder a path belongs to (services/<name>/...), if any."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "services" else None


def module_of(path: str) -> str | None:
    """The module folder a Terraform module file sits in directly (modules/.../<file>), if any."""
    return path.rpartition("/")[0] if path.startswith("modules/") else None


def _module_reason(path: str, module: str, service: str, via: tuple[str, ...]) -> str:
    through = f" (via {' -> '.join(via)})" if via else ""
    return f"{path}: {module} is used by services/{service}/infra{through}"


def _lib_reason(path: str, lib: str, name: str, uses: ServiceDependencies) -> str | None:
    """Why a change to `path` in `lib` affects the service: an import if any, else its declaration."""
    importers = uses.lib_imports.get(lib, ())
    if importers:
        what = f"{path} is imported by" if path.endswith(".py") else f"{path} is in lib {lib}, imported by"
        more = f" and {len(importers) - 1} more files" if len(importers) > 1 else ""
        return f"{what} {importers[0]}{more}"
    if lib in uses.declared_libs:
        return f"{path} is in lib {lib}, declared in services/{name}/service.yaml"
    return None


def _summarised(reasons: list[str]) -> tuple[str, ...]:
    if len(reasons) <= MAX_REASONS:
        return tuple(reasons)
    return (*reasons[:MAX_REASONS], f"... and {len(reasons) - MAX_REASONS} more")


def affected_services(
    paths: Iterable[str], graph: DependencyGraph, only: Iterable[str] | None = None
) -> ChangeReport:
    """The services `paths` affect under the module's rules, each with human reasons.

    `only` limits the services considered (those whose base is the diff's old commit).
    Deletions are reported whatever `only` says. Never fails: unknown paths affect nothing.
    """
    considered = set(graph.services if only is None else only)
    reasons: dict[str, list[str]] = {}
    ops_review: set[str] = set()
    deleted: set[str] = set()
    for path in sorted(set(paths)):
        if path.startswith(OPS_PREFIXES):
            ops_review.add(path)
            continue
        if is_docs(path):
            continue
        service = service_of(path)
        if service is not None:
            if service not in graph.services:
                if path == f"services/{service}/service.yaml":
                    deleted.add(service)
            elif service in considered:
                reasons.setdefault(service, []).append(f"{path} changed in its folder")
            continue
        lib, module = lib_of(path), module_of(path)
        for name in sorted(considered & graph.services.keys()):
            uses = graph.services[name]
            found = [reason for reason in [_lib_reason(path, lib, name, uses) if lib else None] if reason]
            if module is not None and module in uses.modules:
                found.append(_module_reason(path, module, name, uses.modules[module]))
            if found:
                reasons.setdefault(name, []).extend(found)
    return ChangeReport(
        services=tuple(AffectedService(name, _summarised(found)) for name, found in sorted(reasons.items())),
        ops_review=tuple(sorted(ops_review)),
        deleted=tuple(sorted(deleted)),
    )


@dataclass(frozen=True)
class PathFilter:
    """Globs a changed path must match (any include, no exclude) to affect one service."""

    includes: tuple[str, ...]
    excludes: tuple[str, ...]


def path_filter(service: str, uses: ServiceDependencies) -> PathFilter:
    """The rules above for one service as globs, for runners that select by path (CodePipeline).

    `uses` must be the full graph (dependencies.full_graph): every module and lib, not only
    those a particular change touched. Never fails.
    """
    libs = sorted({*uses.declared_libs, *uses.lib_imports})
    return PathFilter(
        includes=(f"services/{service}/**", *(f"{module}/*" for module in sorted(uses.modules)),
                  *(f"libs/{lib}/**" for lib in libs)),
        excludes=(*DOCS_GLOBS, *(f"{prefix}**" for prefix in OPS_PREFIXES)),
    )


def always_deploy(services: dict[str, str]) -> ChangeReport:
    """A report selecting each service in `services` (name -> reason) regardless of paths."""
    return ChangeReport(services=tuple(AffectedService(name, (why,)) for name, why in sorted(services.items())))
