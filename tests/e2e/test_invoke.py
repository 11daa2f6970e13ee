"""`deploy.py invoke` runs the deployed code of a function's live alias in the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Project

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def location_deployed(project: Project) -> None:
    result = project.deploy_py("deploy", "--service", "location")
    assert result.returncode == 0, result.stdout + result.stderr


def write_event(folder: Path, event: dict[str, object]) -> str:
    path = folder / "event.json"
    path.write_text(json.dumps(event))
    return str(path)


def test_put_then_get_through_the_live_alias(location_deployed: None, project: Project, tmp_path: Path) -> None:
    put = write_event(tmp_path, {"pathParameters": {"user_id": "grace"},
                                 "body": json.dumps({"latitude": 40.7, "longitude": -74.0})})
    stored = project.deploy_py("invoke", "--service", "location", "--function", "put_location", "--event", put)
    assert stored.returncode == 0, stored.stderr
    assert json.loads(stored.stdout)["statusCode"] == 200

    get = write_event(tmp_path, {"pathParameters": {"user_id": "grace"}})
    fetched = project.deploy_py("invoke", "--service", "location", "--function", "get_location", "--event", get)

    assert fetched.returncode == 0, fetched.stderr
    response = json.loads(fetched.stdout)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"user_id": "grace", "latitude": 40.7, "longitude": -74.0}


def test_an_unknown_function_names_the_known_ones(location_deployed: None, project: Project) -> None:
    result = project.deploy_py("invoke", "--service", "location", "--function", "nope")

    assert result.returncode == 1
    assert "service location has no function 'nope'" in result.stderr
    assert "get_location, put_location" in result.stderr


def test_an_event_that_is_not_json_is_refused(location_deployed: None, project: Project, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = project.deploy_py("invoke", "--service", "location", "--function", "get_location", "--event", str(bad))

    assert result.returncode == 1
    assert "is not JSON" in result.stderr
