"""The environment definition (environments.toml): where each `--env` deploys to."""

from __future__ import annotations

import os
import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import EnvironmentNotFound, InvalidSetting, ManifestError
from pipeline.paths import PROJECT_ROOT

ENVIRONMENTS_FILE = PROJECT_ROOT / "environments.toml"
# Points every command at another definition (tests use two emulator-backed environments).
ENVIRONMENTS_FILE_VARIABLE = "DEPLOY_ENVIRONMENTS_FILE"
_FIELDS = {
    "emulator", "region", "state_bucket", "artifact_bucket", "deployer_profile", "ops_profile", "deployer_principals",
    "endpoint", "access_key_id", "secret_access_key", "profile",
}
# Only an environment with an external endpoint says which identity reaches it.
_ENDPOINT_FIELDS = ("access_key_id", "secret_access_key", "profile")


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
    # An emulator already running elsewhere (LocalStack, or this project's own started by hand): used
    # as it is, never started; reached with these fixed credentials or this profile.
    endpoint: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    profile: str | None = None


def environments_file() -> Path:
    """environments.toml, or the file DEPLOY_ENVIRONMENTS_FILE names."""
    override = os.environ.get(ENVIRONMENTS_FILE_VARIABLE)
    return Path(override) if override else ENVIRONMENTS_FILE


def load_environments(path: Path | None = None) -> dict[str, Environment]:
    """Read every environment. Raises ManifestError naming the file and field that is wrong."""
    path = path or environments_file()
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
        _check_endpoint(path.name, name, table)
        environments[name] = Environment(name=name, **{**table, "deployer_principals": tuple(principals)})
    return environments


def _check_endpoint(file: str, name: str, table: dict[str, object]) -> None:
    """An external endpoint: an http(s) URL, in an emulator environment, with one way to sign in.

    Raises ManifestError naming the field.
    """
    for field in ("endpoint", *_ENDPOINT_FIELDS):
        if field in table and (not isinstance(table[field], str) or not table[field]):
            raise ManifestError(f"{file}: [{name}] {field} must be non-empty text")
    endpoint = table.get("endpoint")
    if endpoint is None:
        given = [field for field in _ENDPOINT_FIELDS if field in table]
        if given:
            raise ManifestError(f"{file}: [{name}] has {', '.join(given)} but no endpoint",
                                "these say how to reach an external emulator: add endpoint = \"http://127.0.0.1:4566\"")
        return
    url = urllib.parse.urlsplit(str(endpoint))
    try:
        port_ok = url.port is None or 0 < url.port
    except ValueError:
        port_ok = False
    if url.scheme not in ("http", "https") or not url.hostname or not port_ok or url.path not in ("", "/"):
        raise ManifestError(f"{file}: [{name}] endpoint {endpoint!r} is not an http(s) URL of a host and port",
                            "write it like endpoint = \"http://127.0.0.1:4566\"")
    if table.get("emulator") is not True:
        raise ManifestError(f"{file}: [{name}] has an endpoint but not emulator = true",
                            "an endpoint names an emulator (LocalStack, or this project's own started by hand): "
                            "add emulator = true; real AWS environments use profiles")
    fixed = [field for field in ("access_key_id", "secret_access_key") if field in table]
    if "profile" in table and fixed:
        raise ManifestError(f"{file}: [{name}] names both a profile and {', '.join(fixed)}", "keep one way to sign in")
    if "profile" not in table and len(fixed) != 2:
        raise ManifestError(f"{file}: [{name}] needs access_key_id and secret_access_key, or a profile, for its endpoint",
                            "LocalStack accepts any fixed pair: access_key_id = \"test\", secret_access_key = \"test\"")


def get_environment(name: str, path: Path | None = None) -> Environment:
    """The environment called `name`. Raises EnvironmentNotFound listing the defined ones."""
    path = path or environments_file()
    environments = load_environments(path)
    if name not in environments:
        raise EnvironmentNotFound(
            f"unknown environment '{name}'",
            f"defined in {path.name}: {', '.join(environments)}",
        )
    return environments[name]


# The local API gateway (`deploy.py serve`) stands in for other services' APIs in emulator environments.
DEFAULT_GATEWAY_PORT = 4580
HOST = "127.0.0.1"


def gateway_port() -> int:
    """The gateway's port: DEPLOY_GATEWAY_PORT, else 4580. Raises InvalidSetting unless a port number."""
    text = os.environ.get("DEPLOY_GATEWAY_PORT") or str(DEFAULT_GATEWAY_PORT)
    if not text.isdigit() or int(text) > 65535:
        raise InvalidSetting(f"DEPLOY_GATEWAY_PORT must be a port number (1-65535, or 0 for any free one), not {text!r}",
                             f"unset it (default {DEFAULT_GATEWAY_PORT}) or set it like DEPLOY_GATEWAY_PORT=4581")
    return int(text)


def infra_variables(environment: Environment) -> dict[str, str]:
    """Variables for service roots: locally, the gateway's URL stands in for other services' APIs."""
    if not environment.emulator:
        return {}
    return {"service_gateway_url": f"http://{HOST}:{gateway_port()}"}
