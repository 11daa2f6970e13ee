"""The verify stage: the smoke event on `live`, and `live` moved back when it fails."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

import pytest

from pipeline.aws import Identity, Target
from pipeline.errors import StageFailed
from pipeline.project.environments import get_environment
from pipeline.project.naming import function_name
from pipeline.project.services import Service, load_service
from pipeline.stages.verify import live_versions, verify
from tests.pipeline.conftest import create_live_function, write_service

AWS_TARGET = Target(get_environment("dev"))  # never called: these checks come before any request
BROKEN_HANDLER = "def handler(event, context):\n    raise RuntimeError('broken on purpose')\n"


def code(package: str, handler: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{package}/__init__.py", "")
        archive.writestr(f"{package}/handler.py", handler)
    return buffer.getvalue()


@pytest.fixture
def deployed(local_target: Target, tmp_path: Path) -> Service:
    """A service of its own whose `echo` is deployed: version 1 answers, version 2 raises."""
    name = f"verify{uuid.uuid4().hex[:6]}"
    write_service(tmp_path / "services", name)
    deployed = function_name("local", name, "echo")
    create_live_function(local_target, deployed, code(name, "def handler(event, context):\n    return event\n"),
                         f"{name}.handler.handler")
    functions = local_target.client("lambda", Identity.OPS)
    functions.update_function_code(FunctionName=deployed, ZipFile=code(name, BROKEN_HANDLER))
    functions.get_waiter("function_updated_v2").wait(FunctionName=deployed)
    functions.publish_version(FunctionName=deployed)
    return load_service(name, tmp_path / "services")


@pytest.mark.emulator
def test_a_passing_smoke_event_is_summarised_and_live_stays(deployed: Service, local_target: Target) -> None:
    assert verify(local_target, deployed, previous={}) == "echo answered the smoke event (16 bytes)"
    assert live_versions(local_target, deployed) == {"echo": "1"}


@pytest.mark.emulator
def test_a_failing_smoke_event_moves_live_back_to_the_previous_versions(deployed: Service, local_target: Target) -> None:
    functions = local_target.client("lambda", Identity.OPS)
    functions.update_alias(FunctionName=function_name("local", deployed.name, "echo"), Name="live", FunctionVersion="2")

    with pytest.raises(StageFailed, match=r"smoke event tests/smoke.json failed on .*broken on purpose.*; "
                                          r"live moved back to echo@1$"):
        verify(local_target, deployed, previous={"echo": "1"})

    assert live_versions(local_target, deployed) == {"echo": "1"}


@pytest.mark.emulator
def test_without_an_earlier_version_a_failure_says_live_stayed(deployed: Service, local_target: Target) -> None:
    functions = local_target.client("lambda", Identity.OPS)
    functions.update_alias(FunctionName=function_name("local", deployed.name, "echo"), Name="live", FunctionVersion="2")

    with pytest.raises(StageFailed, match="no earlier version to move live back to$"):
        verify(local_target, deployed, previous={})


@pytest.mark.emulator
def test_a_function_never_deployed_has_no_live_version(local_target: Target, tmp_path: Path) -> None:
    write_service(tmp_path / "services", "neverdeployed")

    assert live_versions(local_target, load_service("neverdeployed", tmp_path / "services")) == {}


def test_without_a_smoke_event_there_is_nothing_to_invoke(tmp_path: Path) -> None:
    folder = write_service(tmp_path / "services", "quiet")
    manifest = folder / "service.yaml"
    manifest.write_text(manifest.read_text().replace("smoke:\n  function: echo\n  event: tests/smoke.json\n", ""))

    assert verify(AWS_TARGET, load_service("quiet", tmp_path / "services"), {}) == (
        "no smoke event declared"
    )


def test_a_smoke_event_that_is_not_json_fails_the_stage_before_any_invoke(tmp_path: Path) -> None:
    folder = write_service(tmp_path / "services", "garbled")
    (folder / "tests" / "smoke.json").write_text("{not json")

    with pytest.raises(StageFailed, match=r"verify: event file .*smoke.json is not JSON"):
        verify(AWS_TARGET, load_service("garbled", tmp_path / "services"), {})
