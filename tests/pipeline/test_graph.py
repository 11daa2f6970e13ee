"""`graph`: the reference system's services, what they use, and every call between them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.changes.rules import AffectedService, ChangeReport
from pipeline.flows.graph import dot, mermaid, svg, system_graph, with_changes
from pipeline.paths import PROJECT_ROOT
from pipeline.project.services import load_service, service_names


def declared_calls() -> set[tuple[str, str, str]]:
    """(caller, callee, kind) from every manifest, read independently of the graph code."""
    calls = set()
    for name in service_names():
        for function in load_service(name).manifest.functions.values():
            calls |= {(name, api, "calls API") for api in function.calls_apis}
            calls |= {(name, target.split(".")[0], f"invokes {target.split('.')[1]}") for target in function.invokes}
    return calls


def test_mermaid_has_every_call_of_the_reference_system() -> None:
    text = mermaid(system_graph())
    calls = declared_calls()

    assert {("profile", "location", "calls API"), ("profile", "authentication", "invokes verify_token"),
            ("location", "authentication", "invokes verify_token")} <= calls
    for caller, callee, kind in calls:
        assert f'service_{caller} -->|"{kind}"| service_{callee}' in text


def test_services_show_their_modules_libs_and_tables() -> None:
    text = mermaid(system_graph())

    for service in ("authentication", "location", "profile"):
        assert f'service_{service} -->|"uses"| lib_service_kit' in text
        assert f'service_{service} -->|"uses"| module_modules_service' in text
    assert 'module_modules_service -->|"uses"| module_modules_function' in text
    assert 'service_location -->|"owns"| table_location_locations' in text


def test_changed_services_are_highlighted_with_their_reasons() -> None:
    report = ChangeReport(services=(AffectedService("location", ("services/location/src/x.py changed",)),))
    graph = with_changes(system_graph(), report)

    assert "class service_location changed" in mermaid(graph)
    assert "%% service_location: services/location/src/x.py changed" in mermaid(graph)
    assert 'tooltip="services/location/src/x.py changed"' in dot(graph)
    assert "class " not in mermaid(system_graph())


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is installed by `make system-deps`")
def test_svg_is_drawn_by_graphviz() -> None:
    drawing = svg(system_graph())

    assert drawing.lstrip().startswith("<?xml") and "<svg" in drawing and ">profile<" in drawing


def test_a_copy_of_the_project_without_git_is_drawn_too(tmp_path: Path) -> None:
    """An export or a test's copy has no .git: the dependency search reads the files as they are."""
    for folder in ("services", "modules", "libs"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns(".terraform"))

    assert mermaid(system_graph(tmp_path)) == mermaid(system_graph())
