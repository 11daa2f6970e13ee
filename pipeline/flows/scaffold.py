"""New services from templates (pipeline/templates/service): a folder that passes the pipeline as is."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ScaffoldError
from pipeline.paths import PROJECT_ROOT
from pipeline.project.locks import render_lock, service_lock_target
from pipeline.project.manifest import load_yaml
from pipeline.project.naming import role_name
from pipeline.project.services import SERVICES_DIR, load_service

TEMPLATES_DIR = PROJECT_ROOT / "pipeline" / "templates" / "service"
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")  # as pipeline.project.manifest accepts


@dataclass(frozen=True)
class Scaffold:
    name: str
    folder: Path
    files: tuple[Path, ...]  # relative to the project root
    roles: tuple[str, ...]  # execution roles ops/iam must create, in `environment`
    environment: str


def package_name(service: str) -> str:
    """The service's Python package: its name in snake case, suffixed when the stdlib owns the name."""
    package = service.replace("-", "_")
    return f"{package}_service" if package in sys.stdlib_module_names else package


def render(name: str, description: str) -> dict[Path, str]:
    """Every file of a new service, by path inside its folder, rendered from the templates."""
    import jinja2

    package = package_name(name)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), keep_trailing_newline=True,
                                     undefined=jinja2.StrictUndefined, autoescape=False)
    files: dict[Path, str] = {}
    for template in sorted(p for p in TEMPLATES_DIR.rglob("*") if p.is_file()):
        relative = template.relative_to(TEMPLATES_DIR)
        if relative.parts[0] == "src":
            relative = Path("src", package, *relative.parts[1:])
        text = environment.get_template(template.relative_to(TEMPLATES_DIR).as_posix()).render(
            name=name, package=package, description=description)
        files[relative.with_suffix("") if relative.suffix == ".j2" else relative] = text
    runtime = load_yaml(files[Path("service.yaml")], "service.yaml")["runtime"]
    lock = service_lock_target(SERVICES_DIR / name / "requirements.in", runtime)
    files[Path("requirements.txt")] = render_lock(lock, files[Path("requirements.in")], "")
    return files


def create_service(name: str, description: str, environment: str = "local",
                   services_dir: Path = SERVICES_DIR) -> Scaffold:
    """Write services/<name>/ from the templates and lock its infra root's providers.

    Raises ScaffoldError for an invalid or taken name, ManifestError if the result does not
    load (a template bug), ToolchainError if providers cannot be locked.
    """
    from pipeline.terraform.toolchain import ensure_toolchain, lock_root

    if not _SERVICE_NAME.fullmatch(name):  # not .match: its `$` accepts a trailing newline
        raise ScaffoldError(f"'{name}' is not a valid service name",
                            "use lower case letters, digits and hyphens, starting with a letter (max 31)")
    folder = services_dir / name
    if folder.exists():
        raise ScaffoldError(f"services/{name} already exists", "pick another name; nothing was written")
    written = []
    for relative, text in render(name, description).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    lock_root(ensure_toolchain(), folder / "infra")
    service = load_service(name, services_dir)
    roles = tuple(role_name(environment, name, function) for function in service.manifest.functions)
    files = tuple(sorted(p.relative_to(services_dir.parent) for p in [*written, folder / "infra" / ".terraform.lock.hcl"]))
    return Scaffold(name=name, folder=folder, files=files, roles=roles, environment=environment)
