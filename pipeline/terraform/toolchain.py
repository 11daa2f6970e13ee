"""Terraform discovery: the binary, its version, the provider mirror and the project's CLI config.

The CLI config is generated, never committed, because the mirror's location differs per machine.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ToolchainError
from pipeline.paths import PROJECT_ROOT, tool_dir

TOOLCHAIN_FILE = PROJECT_ROOT / "toolchain.toml"
REGISTRY_HOST = "registry.terraform.io"


@dataclass(frozen=True)
class ProviderPin:
    source: str  # e.g. "hashicorp/aws"
    version: str


@dataclass(frozen=True)
class Toolchain:
    binary: str
    version: str
    cli_config: Path
    mirror: Path | None  # None: providers come from the public registry


def load_pins() -> tuple[str, list[ProviderPin]]:
    """The required Terraform version constraint and the pinned providers from toolchain.toml."""
    raw = tomllib.loads(TOOLCHAIN_FILE.read_text())
    providers = [ProviderPin(p["source"], p["version"]) for p in raw["providers"].values()]
    return raw["terraform"]["required_version"], providers


def _platform_dir() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def mirror_candidates() -> list[Path]:
    """Folders that may hold a provider mirror, most specific first.

    TF_PLUGIN_MIRROR, then Terraform's own implied local mirror folders, then provider mirrors
    laid out machine-wide under the add-on software prefix (/opt/<name>/registry.terraform.io).
    """
    candidates: list[Path] = []
    if os.environ.get("TF_PLUGIN_MIRROR"):
        candidates.append(Path(os.environ["TF_PLUGIN_MIRROR"]))
    home = Path.home()
    candidates.append(home / ".terraform.d" / "plugins")
    data_home = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    candidates.append(data_home / "terraform" / "plugins")
    for data_dir in (os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":"):
        if data_dir:
            candidates.append(Path(data_dir) / "terraform" / "plugins")
    candidates.extend(sorted(p.parent for p in Path("/opt").glob(f"*/{REGISTRY_HOST}")))
    return candidates


def mirror_has(mirror: Path, pin: ProviderPin) -> bool:
    """Whether `mirror` holds `pin` for this platform, unpacked or packed."""
    base = mirror / REGISTRY_HOST / pin.source
    name = pin.source.split("/")[1]
    unpacked = base / pin.version / _platform_dir()
    packed = base / f"terraform-provider-{name}_{pin.version}_{_platform_dir()}.zip"
    return unpacked.is_dir() or packed.is_file()


def find_mirror(pins: list[ProviderPin]) -> Path | None:
    """The first candidate mirror holding every pinned provider, or None to use the registry.

    Raises ToolchainError when TF_PLUGIN_MIRROR is set but lacks a pinned provider, since the
    user asked for that mirror explicitly.
    """
    explicit = os.environ.get("TF_PLUGIN_MIRROR")
    for mirror in mirror_candidates():
        if all(mirror_has(mirror, pin) for pin in pins):
            return mirror
        if explicit and mirror == Path(explicit):
            missing = [f"{p.source} {p.version}" for p in pins if not mirror_has(mirror, p)]
            raise ToolchainError(
                f"TF_PLUGIN_MIRROR={explicit} lacks {', '.join(missing)} for {_platform_dir()}",
                f"add it with `terraform providers mirror {explicit}` on a machine with internet, "
                "or unset TF_PLUGIN_MIRROR",
            )
    return None


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("-")[0].split(".")[:3])


def _check_version(binary: str, constraint: str) -> str:
    try:
        result = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, timeout=60)
        version = str(json.loads(result.stdout)["terraform_version"])
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired) as err:
        raise ToolchainError(f"could not read the version of {binary}: {err}") from None
    minimum = constraint.removeprefix(">=").strip()
    if _version_tuple(version) < _version_tuple(minimum):
        raise ToolchainError(
            f"{binary} {version} is too old: this project needs {constraint}",
            "install a newer Terraform (or OpenTofu) and put it on PATH",
        )
    return version


def render_cli_config(mirror: Path | None, plugin_cache: Path) -> str:
    """The Terraform CLI config text: the shared plugin cache, and the mirror when there is one."""
    lines = [f'plugin_cache_dir = "{plugin_cache}"']
    if mirror is not None:
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            f'    include = ["{REGISTRY_HOST}/*/*"]',
            "  }",
            "  direct {",
            f'    exclude = ["{REGISTRY_HOST}/*/*"]',
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def ensure_toolchain() -> Toolchain:
    """Find Terraform, check its version, and write the project's CLI config.

    Raises ToolchainError when Terraform is missing or too old, or a chosen mirror is incomplete.
    """
    constraint, pins = load_pins()
    binary = shutil.which("terraform") or shutil.which("tofu")
    if binary is None:
        raise ToolchainError(
            "neither terraform nor tofu is on PATH",
            f"install Terraform {constraint} (or OpenTofu) and try again",
        )
    version = _check_version(binary, constraint)
    mirror = find_mirror(pins)
    plugin_cache = tool_dir() / "plugin-cache"
    plugin_cache.mkdir(parents=True, exist_ok=True)
    cli_config = tool_dir() / "terraform.rc"
    text = render_cli_config(mirror, plugin_cache)
    if not cli_config.exists() or cli_config.read_text() != text:
        cli_config.write_text(text)
    return Toolchain(binary=binary, version=version, cli_config=cli_config, mirror=mirror)


def lock_root(toolchain: Toolchain, root: Path) -> None:
    """Regenerate `root`'s .terraform.lock.hcl for the pinned providers.

    From the mirror when there is one (this platform's hash only); from the registry, with
    hashes for every platform the registry signs. Raises ToolchainError on failure.
    """
    import tempfile

    (root / ".terraform.lock.hcl").unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(toolchain.cli_config), "TF_DATA_DIR": data_dir}
        result = subprocess.run(
            [toolchain.binary, "init", "-backend=false", "-input=false", "-no-color"],
            cwd=root, env=env, capture_output=True, text=True,
        )
    if result.returncode != 0:
        raise ToolchainError(f"locking providers in {root.relative_to(PROJECT_ROOT)} failed:\n{result.stderr.strip()}")
