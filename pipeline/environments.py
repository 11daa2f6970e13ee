"""The environment definition (environments.toml): where each `--env` deploys to."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import EnvironmentNotFound, ManifestError
from pipeline.paths import PROJECT_ROOT

ENVIRONMENTS_FILE = PROJECT_ROOT / "environments.toml"
_FIELDS = {
    "emulator", "region", "state_bucket", "artifact_bucket", "deployer_profile", "ops_profile", "deployer_principals",
}


@dataclass(frozen=True)
class Environment:
    name: str
    region: str
    state_bucket: str
    artifact_bucket: str
    emulator: bool = False
    deployer_profile: str | None = None
    ops_profile: str | None = None
    deployer_principals: tuple[str, ...] = ()  # who may assume deployer roles in AWS (e.g. a CI role)


def load_environments(path: Path = ENVIRONMENTS_FILE) -> dict[str, Environment]:
    """Read every environment. Raises ManifestError naming the file and field that is wrong."""
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ManifestError(f"{path.name} is missing", "restore it from git") from None
    except tomllib.TOMLDecodeError as err:
        raise ManifestError(f"{path.name}: {err}", "fix the TOML syntax") from None
    environments = {}
    for name, table in raw.items():
        if not isinstance(table, dict):
            raise ManifestError(f"{path.name}: '{name}' must be a table like [{name}]")
        unknown = sorted(set(table) - _FIELDS)
        if unknown:
            raise ManifestError(
                f"{path.name}: [{name}] has unknown field(s) {', '.join(unknown)}",
                f"known fields: {', '.join(sorted(_FIELDS))}",
            )
        for required in ("region", "state_bucket", "artifact_bucket"):
            if not isinstance(table.get(required), str) or not table[required]:
                raise ManifestError(f"{path.name}: [{name}] needs a text field '{required}'")
        principals = table.get("deployer_principals", [])
        if not isinstance(principals, list) or not all(isinstance(arn, str) and arn for arn in principals):
            raise ManifestError(f"{path.name}: [{name}] deployer_principals must list principal ARNs")
        environments[name] = Environment(name=name, **{**table, "deployer_principals": tuple(principals)})
    return environments


def get_environment(name: str, path: Path = ENVIRONMENTS_FILE) -> Environment:
    """The environment called `name`. Raises EnvironmentNotFound listing the defined ones."""
    environments = load_environments(path)
    if name not in environments:
        raise EnvironmentNotFound(
            f"unknown environment '{name}'",
            f"defined in {path.name}: {', '.join(environments)}",
        )
    return environments[name]
