from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.errors import ManifestError
from pipeline.paths import PROJECT_ROOT
from pipeline.project.manifest import load_yaml, parse_manifest
from pipeline.project.services import SERVICES_DIR, load_service


def minimal() -> dict[str, Any]:
    return {
        "name": "orders",
        "description": "Orders.",
        "runtime": "python3.11",
        "api": {"authorization": "NONE"},
        "tables": {"orders": {"hash_key": "order_id"}},
        "functions": {
            "get_order": {
                "handler": "orders.get_order.handler",
                "route": "GET /orders/{order_id}",
                "permissions": {"orders": ["dynamodb:GetItem"]},
            }
        },
    }


def test_a_minimal_manifest_gets_defaults() -> None:
    manifest = parse_manifest(minimal(), "services/orders/service.yaml", "orders")

    function = manifest.functions["get_order"]
    assert function.memory_mb == 256 and function.timeout_s == 10
    assert function.module == "orders.get_order"
    assert function.permissions == {"orders": ("dynamodb:GetItem",)}
    assert function.invokes == () and function.calls_apis == ()


def test_cross_service_permissions_are_read() -> None:
    manifest = minimal()
    manifest["functions"]["get_order"].update(invokes=["payments.charge_card"], calls_apis=["stock"])

    function = parse_manifest(manifest, "services/orders/service.yaml", "orders").functions["get_order"]

    assert function.invokes == ("payments.charge_card",)
    assert function.calls_apis == ("stock",)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m.update(colour="red"), "unknown field 'colour'"),
        (lambda m: m["functions"]["get_order"].update(memory_mb=64), "'functions.get_order.memory_mb' must be"),
        (lambda m: m["functions"]["get_order"].update(handler="no dots"), "'functions.get_order.handler'"),
        (lambda m: m["functions"]["get_order"].update(permissions={"carts": ["dynamodb:GetItem"]}), "names table 'carts'"),
        (lambda m: m["functions"]["get_order"].update(permissions={"orders": ["s3:*"]}), "must list actions"),
        (lambda m: m.update(name="shop"), "but the folder is services/orders"),
        (lambda m: m.update(functions={}), "at least one function"),
        (lambda m: m.pop("api"), "have routes but there is no 'api' section"),
        (lambda m: m["api"].update(authorization="COGNITO"), "'api.authorization' must be one of"),
        (lambda m: m.update(libs="observability"), "'libs' must list names of folders under libs/"),
        (lambda m: m.update(smoke={"function": "put_order", "event": "e.json"}), "'smoke.function' names 'put_order'"),
        (lambda m: m.update(smoke={"function": "get_order", "event": "../x.json"}), "'smoke.event' must be a .json file"),
        (lambda m: m.update(smoke={"function": "get_order"}), "'smoke.event' must be a non-empty text"),
        (lambda m: m.update(smoke={"function": "get_order", "event": "e.json", "x": 1}), "unknown field 'smoke.x'"),
        (lambda m: m["functions"]["get_order"].update(invokes=["payments"]), "'functions.get_order.invokes' must list"),
        (lambda m: m["functions"]["get_order"].update(calls_apis="payments"), "'functions.get_order.calls_apis' must list"),
    ],
)
def test_errors_name_the_file_and_the_field(change: Any, expected: str) -> None:
    manifest = minimal()
    change(manifest)

    with pytest.raises(ManifestError) as raised:
        parse_manifest(manifest, "services/orders/service.yaml", "orders")

    assert raised.value.message.startswith("services/orders/service.yaml: ")
    assert expected in raised.value.message


def test_a_smoke_event_names_a_declared_function_and_a_file() -> None:
    manifest = minimal()
    manifest["smoke"] = {"function": "get_order", "event": "tests/smoke/get.json"}

    smoke = parse_manifest(manifest, "services/orders/service.yaml", "orders").smoke

    assert smoke is not None and (smoke.function, smoke.event) == ("get_order", "tests/smoke/get.json")


def test_every_committed_manifest_is_valid() -> None:
    for manifest_file in SERVICES_DIR.glob("*/service.yaml"):
        service = load_service(manifest_file.parent.name)
        assert service.manifest.name == manifest_file.parent.name
        assert yaml.safe_load(manifest_file.read_text())["functions"]


def test_environment_overrides_are_kept_apart_from_the_functions_defaults() -> None:
    data = minimal()
    data["environments"] = {"prod": {"functions": {"get_order": {
        "memory_mb": 1024, "reserved_concurrency": 50, "error_alarm_threshold": 3}}}}
    manifest = parse_manifest(data, "services/orders/service.yaml", "orders")

    assert manifest.environments == {"prod": {"get_order": {"memory_mb": 1024, "reserved_concurrency": 50, "error_alarm_threshold": 3}}}
    assert (manifest.functions["get_order"].memory_mb, manifest.functions["get_order"].error_alarm_threshold) == (256, 0)


@pytest.mark.parametrize(("override", "expected"), [
    ({"prod": {"functions": {"put_order": {"memory_mb": 512}}}}, "names 'put_order', which 'functions' does not declare"),
    ({"prod": {"functions": {"get_order": {"memory_mb": 64}}}}, "'environments.prod.functions.get_order.memory_mb' must be"),
    ({"prod": {"functions": {"get_order": {"handler": "x.y"}}}}, "unknown field 'environments.prod.functions.get_order.handler'"),
    ({"prod": {"tables": {}}}, "unknown field 'environments.prod.tables'"),
])
def test_bad_environment_overrides_name_the_field(override: dict[str, Any], expected: str) -> None:
    data = minimal()
    data["environments"] = override
    with pytest.raises(ManifestError, match=re.escape(expected)):
        parse_manifest(data, "services/orders/service.yaml", "orders")


def test_an_override_for_an_undefined_environment_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "services" / "orders"
    (folder / "src" / "orders").mkdir(parents=True)
    (folder / "src" / "orders" / "get_order.py").write_text("def handler(event, context):\n    return {}\n")
    data = minimal()
    data["environments"] = {"staging": {"functions": {"get_order": {"memory_mb": 512}}}}
    (folder / "service.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ManifestError, match="'environments.staging' is not an environment in environments.toml"):
        load_service("orders", tmp_path / "services")


def test_a_leading_zero_is_refused_with_the_file_and_line() -> None:
    text = (SERVICES_DIR / "location" / "service.yaml").read_text().replace(
        "reserved_concurrency: 5", "reserved_concurrency: 01700", 1)
    line = text.splitlines().index("    reserved_concurrency: 01700") + 1

    with pytest.raises(ManifestError) as refused:
        load_yaml(text, "services/location/service.yaml")

    assert refused.value.message == (
        f"services/location/service.yaml:{line}: '01700' is ambiguous: "
        "a number with a leading zero: YAML 1.1 reads it as octal, YAML 1.2 as decimal"
    )
    assert "quote it" in refused.value.hint


@pytest.mark.parametrize(("scalar", "reason"), [
    ("yes", "boolean"), ("Off", "boolean"), ("n", "boolean"), ("007", "leading zero"), ("0o17", "YAML 1.2 as number 15"),
    ("1:30", "YAML 1.1 reads it as number 90"), ("1_000", "number 1000"), ("1e3", "YAML 1.1 reads it as text"),
    ("2024-01-01", "date"), (".inf", "not a finite number"), ("-.Inf", "not a finite number"), (".nan", "not a finite"),
])
def test_scalars_yaml_1_1_and_1_2_read_differently_are_refused(scalar: str, reason: str) -> None:
    with pytest.raises(ManifestError, match=re.escape(reason)):
        load_yaml(f"name: location\ndescription: {scalar}\n", "service.yaml")
    with pytest.raises(ManifestError, match=r"^service.yaml:1: "):
        load_yaml(f"{scalar}: key\n", "service.yaml")  # keys too


@pytest.mark.parametrize(("text", "value"), [
    ("'01700'", "01700"), ('"yes"', "yes"), ("1700", 1700), ("0x1F", 31), ("true", True), ("~", None), ("1.5", 1.5),
    ("abc", "abc"), ("-0", 0),
])
def test_scalars_every_reader_agrees_on_are_read(text: str, value: Any) -> None:
    assert load_yaml(f"value: {text}\n", "service.yaml") == {"value": value}


def test_no_terraform_file_reads_a_manifest_itself() -> None:
    """Roots get service.yaml as the pipeline validated it (variables `manifest`, `manifests`), never by yamldecode."""
    terraform_files = [*PROJECT_ROOT.glob("**/*.tf"), *PROJECT_ROOT.glob("pipeline/templates/**/*.tf")]
    reads_yaml = re.compile(r"yamldecode\s*\(|file(set)?\([^)]*service\.yaml")
    readers = [path.relative_to(PROJECT_ROOT).as_posix() for path in terraform_files
               if ".local" not in path.parts and reads_yaml.search(path.read_text())]

    assert terraform_files and readers == []


def test_a_scalar_with_no_safe_type_is_a_manifest_error() -> None:
    with pytest.raises(ManifestError, match="services/x/service.yaml: not valid YAML"):
        load_yaml("=", "services/x/service.yaml")
