"""The services of the monorepo: one folder each under services/, with a service.yaml."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ManifestError, ServiceNotFound
from pipeline.paths import PROJECT_ROOT
from pipeline.project.environments import load_environments
from pipeline.project.manifest import Manifest, load_yaml, parse_manifest

SERVICES_DIR = PROJECT_ROOT / "services"
MANIFEST_NAME = "service.yaml"


@dataclass(frozen=True)
class Service:
    name: str
    folder: Path
    manifest: Manifest

    @property
    def source_dir(self) -> Path:
        return self.folder / "src"

    @property
    def tests_dir(self) -> Path:
        return self.folder / "tests"

    @property
    def infra_dir(self) -> Path:
        return self.folder / "infra"

    @property
    def requirements_file(self) -> Path:
        return self.folder / "requirements.txt"

    @property
    def lib_dirs(self) -> list[Path]:
        """Folders of the libs the service declares; each holds a package of the same name."""
        return [self.folder.parent.parent / "libs" / lib for lib in self.manifest.libs]


def service_names(services_dir: Path = SERVICES_DIR) -> list[str]:
    """Names of every folder under services/ that has a manifest, sorted."""
    # os.scandir rather than Path.glob: a third of the time in a monorepo of a thousand services.
    if not services_dir.is_dir():
        return []
    with os.scandir(services_dir) as entries:
        return sorted(e.name for e in entries if e.is_dir() and os.path.isfile(os.path.join(e.path, MANIFEST_NAME)))


def load_service(name: str, services_dir: Path = SERVICES_DIR) -> Service:
    """The service called `name`, with its manifest checked.

    Raises ServiceNotFound (listing the known services) or ManifestError.
    """
    folder = services_dir / name
    manifest_file = folder / MANIFEST_NAME
    if not manifest_file.is_file():
        known = ", ".join(service_names(services_dir)) or "none"
        raise ServiceNotFound(f"unknown service '{name}'", f"known services: {known}")
    source = str(manifest_file.relative_to(services_dir.parent))
    manifest = parse_manifest(load_yaml(manifest_file.read_text(), source), source, name)
    service = Service(name=name, folder=folder, manifest=manifest)
    for lib_dir in service.lib_dirs:
        if not (lib_dir / lib_dir.name / "__init__.py").is_file():
            raise ManifestError(
                f"{source}: 'libs' names {lib_dir.name!r} but libs/{lib_dir.name}/{lib_dir.name}/__init__.py does not exist",
                "create the lib or remove it from 'libs'",
            )
    for function in manifest.functions.values():
        module_file = service.source_dir / (function.module.replace(".", "/") + ".py")
        if not module_file.is_file():
            raise ManifestError(
                f"{source}: functions.{function.name}.handler is {function.handler!r} "
                f"but {module_file.relative_to(services_dir.parent)} does not exist",
                "create the module or fix the handler path",
            )
    defined = load_environments()
    for environment in manifest.environments:
        if environment not in defined:
            raise ManifestError(
                f"{source}: 'environments.{environment}' is not an environment in environments.toml",
                f"defined: {', '.join(defined)}",
            )
    smoke = manifest.smoke
    if smoke is not None and not (folder / smoke.event).is_file():
        raise ManifestError(
            f"{source}: smoke.event is {smoke.event!r} but services/{name}/{smoke.event} does not exist",
            "create the event file (JSON) or fix the path",
        )
    return service


def manifest_document(service: Service) -> dict[str, Any]:
    """The service's service.yaml as loaded and validated: what its infra root receives as `manifest`.

    Terraform gets this (as JSON) rather than reading the YAML itself, so it deploys exactly what
    was checked. Raises ManifestError if the file no longer validates.
    """
    manifest_file = service.folder / MANIFEST_NAME
    source = str(manifest_file.relative_to(service.folder.parent.parent))
    document = load_yaml(manifest_file.read_text(), source)
    parse_manifest(document, source, service.name)
    return dict(document)
