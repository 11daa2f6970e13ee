"""Property tests: whatever a manifest holds, the parser returns a Manifest or raises ManifestError."""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import ManifestError
from pipeline.paths import PROJECT_ROOT
from pipeline.project.manifest import Manifest, load_yaml, parse_manifest

SOURCE = "services/location/service.yaml"
REAL = yaml.safe_load((PROJECT_ROOT / SOURCE).read_text())

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


def parsed_or_refused(data: Any) -> None:
    try:
        assert isinstance(parse_manifest(data, SOURCE, "location"), Manifest)
    except ManifestError as err:
        assert err.message.startswith(SOURCE), err.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_any_document_is_a_manifest_or_a_manifest_error(data: Any) -> None:
    parsed_or_refused(data)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    children = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    return [prefix, *(path for key, child in children for path in _paths(child, (*prefix, key)))]


REAL_PATHS = _paths(REAL)[1:]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(REAL_PATHS), values)
def test_the_real_manifest_with_any_one_field_replaced_is_a_manifest_or_a_manifest_error(
    path: tuple[Any, ...], value: Any
) -> None:
    data = yaml.safe_load(yaml.safe_dump(REAL))
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    parsed_or_refused(data)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_yaml_or_a_manifest_error_naming_the_file(text: str) -> None:
    try:
        data = load_yaml(text, SOURCE)
    except ManifestError as err:
        assert re.match(rf"{re.escape(SOURCE)}(: not valid YAML|:[0-9]+: .* is ambiguous: )", err.message), err.message
        return
    parsed_or_refused(data)
