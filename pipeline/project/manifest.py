"""Service manifests (services/<name>/service.yaml): what a service is, parsed and checked.

Pure logic: `parse_manifest` takes text and names, so it is tested without files.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import ManifestError

RUNTIMES = ("python3.11", "python3.12", "python3.13")
AUTHORIZATIONS = ("AWS_IAM", "NONE")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_HANDLER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_ROUTE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|ANY) /[A-Za-z0-9_{}/+.-]*$")
_ACTION = re.compile(r"^dynamodb:[A-Za-z]+$")
_FUNCTION_REF = re.compile(r"^[a-z][a-z0-9-]{0,30}\.[a-z][a-z0-9_]{0,30}$")  # service.function


@dataclass(frozen=True)
class Api:
    authorization: str = "AWS_IAM"
    throttle_rate_limit: float = 50
    throttle_burst_limit: int = 100


@dataclass(frozen=True)
class Table:
    hash_key: str
    range_key: str | None = None


@dataclass(frozen=True)
class Function:
    name: str
    handler: str
    route: str | None = None
    memory_mb: int = 256
    timeout_s: int = 10
    reserved_concurrency: int = 5
    error_alarm_threshold: int = 0  # errors per alarm period before the function's Errors alarm fires
    permissions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    invokes: tuple[str, ...] = ()  # other services' functions (service.function) it may invoke
    calls_apis: tuple[str, ...] = ()  # services whose IAM-authorised API it may call (execute-api:Invoke)

    @property
    def module(self) -> str:
        """The Python module holding the handler, e.g. location.get_location."""
        return self.handler.rsplit(".", 1)[0]


@dataclass(frozen=True)
class Smoke:
    """The event the verify stage sends to `function`'s `live` alias after a deploy."""

    function: str
    event: str  # JSON file, relative to the service folder


# Function settings an environment may override: name -> (default, lowest, highest).
TUNABLES = {
    "memory_mb": (256, 128, 10240), "timeout_s": (10, 1, 900), "reserved_concurrency": (5, 0, 1000),
    "error_alarm_threshold": (0, 0, 100000),
}


@dataclass(frozen=True)
class Manifest:
    name: str
    description: str
    runtime: str
    functions: dict[str, Function]
    tables: dict[str, Table] = field(default_factory=dict)
    api: Api | None = None
    libs: tuple[str, ...] = ()  # shared packages under libs/<name>/<name>/ packaged with the service
    smoke: Smoke | None = None
    # environment -> function -> tunable -> value; modules/service applies them in that environment
    environments: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)


class _Reader:
    """Checks one mapping of the manifest, naming the file and the field path in every error."""

    def __init__(self, source: str, path: str, data: Any) -> None:
        self.source = source
        self.path = path
        if not isinstance(data, dict):
            self.fail(f"{path or 'the manifest'} must be a mapping")
        self.data: dict[str, Any] = data

    def error(self, message: str, hint: str = "") -> ManifestError:
        return ManifestError(f"{self.source}: {message}", hint or "see services/location/service.yaml for the format")

    def fail(self, message: str, hint: str = "") -> None:
        raise self.error(message, hint)

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def allow_only(self, *known: str) -> None:
        for key in self.data:
            if key not in known:
                self.fail(f"unknown field '{self.where(str(key))}'", f"known fields here: {', '.join(known)}")

    def text(self, key: str, pattern: re.Pattern[str] | None = None, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value:
            raise self.error(f"'{self.where(key)}' must be a non-empty text")
        if pattern is not None and not pattern.match(value):
            self.fail(f"'{self.where(key)}' has an invalid value {value!r}")
        return str(value)

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.data.get(key, default)
        if value not in choices:
            self.fail(f"'{self.where(key)}' must be one of {', '.join(choices)}, not {value!r}")
        return str(value)

    def number(self, key: str, default: int, low: int, high: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(f"'{self.where(key)}' must be a whole number from {low} to {high}, not {value!r}")
        return int(value)

    def names(self, key: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and pattern.match(item) for item in value):
            self.fail(f"'{self.where(key)}' must list {what}, not {value!r}")
        return tuple(value)

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.error(f"'{self.where(key)}' must be a mapping")
        for name in value:
            if not isinstance(name, str) or not _NAME.match(name):
                self.fail(f"'{self.where(key)}' has an invalid name {name!r}", "use lower_snake_case")
        return value


def _parse_function(source: str, name: str, data: Any, tables: dict[str, Table]) -> Function:
    reader = _Reader(source, f"functions.{name}", data)
    reader.allow_only("handler", "route", *TUNABLES, "permissions", "invokes", "calls_apis")
    route = reader.text("route", _ROUTE) if "route" in reader.data else None
    permissions: dict[str, tuple[str, ...]] = {}
    for table, actions in reader.mapping("permissions").items():
        if table not in tables:
            reader.fail(f"'{reader.where('permissions')}' names table '{table}', which 'tables' does not declare")
        if not isinstance(actions, list) or not actions or not all(
            isinstance(action, str) and _ACTION.match(action) for action in actions
        ):
            reader.fail(f"'{reader.where('permissions')}.{table}' must list actions like dynamodb:GetItem")
        permissions[table] = tuple(actions)
    return Function(
        name=name,
        handler=reader.text("handler", _HANDLER),
        route=route,
        **{tunable: reader.number(tunable, *limits) for tunable, limits in TUNABLES.items()},
        permissions=permissions,
        invokes=reader.names("invokes", _FUNCTION_REF, "other services' functions as service.function"),
        calls_apis=reader.names("calls_apis", _SERVICE_NAME, "service names"),
    )


def _parse_smoke(source: str, data: Any, functions: dict[str, Function]) -> Smoke:
    reader = _Reader(source, "smoke", data)
    reader.allow_only("function", "event")
    function = reader.text("function")
    if function not in functions:
        reader.fail(f"'smoke.function' names {function!r}, which 'functions' does not declare",
                    f"use one of: {', '.join(functions)}")
    event = reader.text("event")
    if event.startswith("/") or ".." in event.split("/") or not event.endswith(".json"):
        reader.fail(f"'smoke.event' must be a .json file inside the service folder, not {event!r}",
                    "e.g. event: tests/smoke/get.json")
    return Smoke(function=function, event=event)


def _parse_environments(source: str, data: Any, functions: dict[str, Function]) -> dict[str, dict[str, dict[str, int]]]:
    environments: dict[str, dict[str, dict[str, int]]] = {}
    for environment, settings in _Reader(source, "", {"environments": data}).mapping("environments").items():
        reader = _Reader(source, f"environments.{environment}", settings)
        reader.allow_only("functions")
        environments[environment] = {}
        for function, values in reader.mapping("functions").items():
            if function not in functions:
                reader.fail(f"'environments.{environment}.functions' names {function!r}, which 'functions' does not declare")
            tuned = _Reader(source, f"environments.{environment}.functions.{function}", values)
            tuned.allow_only(*TUNABLES)
            environments[environment][function] = {
                tunable: tuned.number(tunable, *TUNABLES[tunable]) for tunable in TUNABLES if tunable in tuned.data
            }
    return environments


def parse_manifest(data: Any, source: str, folder_name: str) -> Manifest:
    """Check a loaded manifest. Raises ManifestError naming `source` and the offending field."""
    reader = _Reader(source, "", data)
    reader.allow_only("name", "description", "runtime", "api", "tables", "functions", "libs", "smoke", "environments")
    name = reader.text("name", _SERVICE_NAME)
    if name != folder_name:
        reader.fail(f"'name' is {name!r} but the folder is services/{folder_name}", "make them the same")
    tables = {}
    for table_name, table_data in reader.mapping("tables").items():
        table = _Reader(source, f"tables.{table_name}", table_data)
        table.allow_only("hash_key", "range_key")
        range_key = table.text("range_key") if "range_key" in table.data else None
        tables[table_name] = Table(hash_key=table.text("hash_key"), range_key=range_key)
    functions = {
        function_name: _parse_function(source, function_name, function_data, tables)
        for function_name, function_data in reader.mapping("functions").items()
    }
    if not functions:
        reader.fail("'functions' must declare at least one function")
    api = None
    if "api" in reader.data:
        api_reader = _Reader(source, "api", reader.data["api"])
        api_reader.allow_only("authorization", "throttle_rate_limit", "throttle_burst_limit")
        api = Api(
            authorization=api_reader.choice("authorization", AUTHORIZATIONS, "AWS_IAM"),
            throttle_rate_limit=api_reader.number("throttle_rate_limit", 50, 1, 10000),
            throttle_burst_limit=api_reader.number("throttle_burst_limit", 100, 1, 5000),
        )
    libs = reader.data.get("libs", [])
    if not isinstance(libs, list) or not all(isinstance(lib, str) and _NAME.match(lib) for lib in libs):
        reader.fail("'libs' must list names of folders under libs/, like [observability]")
    smoke = _parse_smoke(source, reader.data["smoke"], functions) if "smoke" in reader.data else None
    routed = [f.name for f in functions.values() if f.route]
    if routed and api is None:
        reader.fail(f"functions {', '.join(routed)} have routes but there is no 'api' section")
    return Manifest(
        name=name,
        description=reader.text("description"),
        runtime=reader.choice("runtime", RUNTIMES, "python3.11"),
        functions=functions,
        tables=tables,
        api=api,
        libs=tuple(libs),
        smoke=smoke,
        environments=_parse_environments(source, reader.data.get("environments", {}), functions),
    )


# YAML 1.2's core schema, as Terraform and most tools today read plain scalars: (kind, pattern, value).
_CORE_SCHEMA: tuple[tuple[str, re.Pattern[str], Callable[[str], Any]], ...] = (
    ("null", re.compile(r"^(?:null|Null|NULL|~|)$"), lambda text: None),
    ("boolean", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), lambda text: text.lower() == "true"),
    ("number", re.compile(r"^[-+]?[0-9]+$"), int),
    ("number", re.compile(r"^0o[0-7]+$"), lambda text: int(text[2:], 8)),
    ("number", re.compile(r"^0x[0-9a-fA-F]+$"), lambda text: int(text[2:], 16)),
    ("number", re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"), float),
    ("number", re.compile(r"^[-+]?\.(?:inf|Inf|INF)$"), lambda text: float(text.replace(".", ""))),
    ("number", re.compile(r"^\.(?:nan|NaN|NAN)$"), lambda text: math.nan),
)
_YAML11_BOOLEANS = re.compile(r"^(?:y|n|yes|no|on|off)$", re.IGNORECASE)
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")


def _core_reading(text: str) -> tuple[str, Any]:
    """How a YAML 1.2 reader (Terraform's yamldecode) reads a plain scalar: (kind, value)."""
    for kind, pattern, value in _CORE_SCHEMA:
        if pattern.match(text):
            return kind, value(text)
    return "text", text


def _yaml11_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "text" if isinstance(value, str) else f"a {type(value).__name__}"


def ambiguity(text: str, yaml11_value: Any) -> str | None:
    """Why a plain scalar would not mean one thing to every reader, or None when it does.

    YAML 1.1 (PyYAML) and YAML 1.2 (Terraform) differ on leading zeros (octal), yes/no/on/off,
    sexagesimal 1:30, underscores, dates and exponents without a dot; infinity and NaN are no number
    Terraform can take.
    """
    if _YAML11_BOOLEANS.match(text):
        return "YAML 1.1 reads it as a boolean, YAML 1.2 as text"
    if _LEADING_ZERO.match(text):
        return "a number with a leading zero: YAML 1.1 reads it as octal, YAML 1.2 as decimal"
    kind, value = _core_reading(text)
    if isinstance(value, float) and not math.isfinite(value):
        return "not a finite number"
    if (kind, value) != (_yaml11_kind(yaml11_value), yaml11_value):
        return f"YAML 1.1 reads it as {_yaml11_kind(yaml11_value)} {yaml11_value!r}, YAML 1.2 as {kind} {value!r}"
    return None


@functools.cache
def _strict_loader() -> type:
    """PyYAML's safe loader refusing every plain scalar that YAML 1.1 and 1.2 read differently."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        source = ""

        def compose_scalar_node(self, anchor: Any) -> Any:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            node = super().compose_scalar_node(anchor)
            construct = self.yaml_constructors.get(node.tag)  # none for e.g. `=`: construction refuses it later
            if event.tag is None and event.style is None and construct is not None:  # plain: the type was guessed
                reason = ambiguity(node.value, construct(self, node))
                if reason is not None:
                    raise ManifestError(
                        f"{self.source}:{event.start_mark.line + 1}: {node.value!r} is ambiguous: {reason}",
                        f"quote it if it is text ('{node.value}'), or write the number or boolean plainly "
                        "(e.g. 1700, true)",
                    )
            return node

    return StrictLoader


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text, refusing scalars YAML 1.1 and YAML 1.2 readers would disagree on.

    Raises ManifestError with the file and line of a syntax error or an ambiguous scalar.
    """
    import yaml

    try:
        loader = _strict_loader()(text)
        loader.source = source
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as err:
        raise ManifestError(f"{source}: not valid YAML: {err}", "fix the syntax") from None
