"""Deploy order: callees first, levels from the manifests, a cycle refused naming it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.errors import ManifestError
from pipeline.project.order import deploy_levels, in_levels, levels, reached
from pipeline.project.services import SERVICES_DIR


def test_callees_come_first_and_independent_services_share_a_level() -> None:
    calls = {"web": {"orders", "users"}, "orders": {"users", "stock"}, "users": set(), "stock": set(), "mail": set()}

    found = levels(calls, calls.__getitem__)

    assert found == {"users": 0, "stock": 0, "mail": 0, "orders": 1, "web": 2}
    assert in_levels(["web", "mail", "orders", "users"], found) == [["mail", "users"], ["orders"], ["web"]]


def test_a_level_counts_callees_outside_the_selection() -> None:
    calls = {"web": {"orders"}, "orders": {"users"}, "users": set()}

    assert levels(["web"], calls.__getitem__) == {"users": 0, "orders": 1, "web": 2}


@pytest.mark.parametrize(("calls", "cycle"), [
    ({"a": {"b"}, "b": {"a"}}, "a -> b -> a"),
    ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, "b -> c -> b"),
    ({"a": {"a"}}, "a -> a"),
])
def test_a_cycle_is_refused_naming_it(calls: dict[str, set[str]], cycle: str) -> None:
    with pytest.raises(ManifestError, match=f"services call each other in a cycle: {cycle}"):
        levels(calls, calls.__getitem__)


def test_the_reference_services_deploy_authentication_then_location_then_profile() -> None:
    assert deploy_levels(["profile", "location", "authentication"]) == {"profile": 2, "location": 1, "authentication": 0}
    assert reached("profile") == {"location", "authentication"} and reached("authentication") == set()


def test_a_cycle_through_manifests_is_refused(tmp_path: Path) -> None:
    services = tmp_path / "services"
    shutil.copytree(SERVICES_DIR, services)
    (tmp_path / "libs").symlink_to(SERVICES_DIR.parent / "libs")
    manifest = services / "authentication" / "service.yaml"
    manifest.write_text(manifest.read_text().replace(
        "  verify_token:   #", "  verify_token:\n    calls_apis: [profile]\n    #", 1))

    with pytest.raises(ManifestError, match="cycle: authentication -> profile -> authentication"):
        deploy_levels(["location"], services)


def test_changed_json_gives_each_service_its_level(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from cli.render import print_report
    from pipeline.changes.rules import AffectedService, ChangeReport

    report = ChangeReport(services=(AffectedService("location", ("x",)), AffectedService("profile", ("y",))))
    print_report(report, True, deploy_levels(["location", "profile"]), "local")

    printed = json.loads(capsys.readouterr().out)["services"]
    assert [(item["service"], item["level"]) for item in printed] == [("location", 1), ("profile", 2)]
