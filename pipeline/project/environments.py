"""The environment definition (environments.toml): where each `--env` deploys to."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import EnvironmentNotFound, ManifestError
from pipeline.paths import PROJECT_ROOT

ENVIRONMENTS_FILE = PROJECT_ROOT / "environments.toml"
# Points every command at another definition (tests use two emulator-backed environments).
ENVIRONMENTS_FILE_VARIABLE = "DEPLOY_ENVIRONMENTS_FILE"
_FIELDS = {
    "emulator", "region", "state_bucket", "artifact_bucket", "deployer_profile", "ops_profile", "deployer_principals",
    "alert_subscriptions",
}
_ALERT_PROTOCOLS = ("email", "email-json", "https", "sms", "sqs", "lambda")


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
    alert_subscriptions: tuple[str, ...] = ()  # "protocol:endpoint" told when an alarm fires (ops/alerts)


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
        subscriptions = table.get("alert_subscriptions", [])
        if not isinstance(subscriptions, list) or not all(
            isinstance(item, str) and item.partition(":")[0] in _ALERT_PROTOCOLS and item.partition(":")[2]
            for item in subscriptions
        ):
            raise ManifestError(f"{path.name}: [{name}] alert_subscriptions must list \"protocol:endpoint\" texts",
                                f"e.g. [\"email:ops@example.com\"]; protocols: {', '.join(_ALERT_PROTOCOLS)}")
        environments[name] = Environment(name=name, **{**table, "deployer_principals": tuple(principals),
                                                       "alert_subscriptions": tuple(subscriptions)})
    return environments


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
    """The gateway's port: DEPLOY_GATEWAY_PORT, else 4580."""
    return int(os.environ.get("DEPLOY_GATEWAY_PORT", DEFAULT_GATEWAY_PORT))


def infra_variables(environment: Environment) -> dict[str, str]:
    """Variables for service roots: locally, the gateway's URL stands in for other services' APIs."""
    if not environment.emulator:
        return {}
    return {"service_gateway_url": f"http://{HOST}:{gateway_port()}"}
