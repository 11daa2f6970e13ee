"""`deploy.py invoke` runs the deployed code of a function's live alias in the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Project

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def authentication_deployed(project: Project) -> None:
    result = project.deploy_py("deploy", "--service", "authentication")
    assert result.returncode == 0, result.stdout + result.stderr


def write_event(folder: Path, body: dict[str, object]) -> str:
    path = folder / f"event-{len(list(folder.iterdir()))}.json"
    path.write_text(json.dumps({"headers": {}, "body": json.dumps(body)}))
    return str(path)


def invoke(project: Project, function: str, event: str) -> dict[str, Any]:
    result = project.deploy_py("invoke", "--service", "authentication", "--function", function, "--event", event)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    return {"status": answer["statusCode"], **json.loads(answer["body"])}


def test_a_user_registered_by_invoking_gets_a_token_that_verifies(
    authentication_deployed: None, project: Project, tmp_path: Path
) -> None:
    credentials = {"user_id": "margaret", "password": "hamilton-1936"}

    assert invoke(project, "create_user", write_event(tmp_path, credentials)) == {"status": 201, "user_id": "margaret"}
    issued = invoke(project, "issue_token", write_event(tmp_path, credentials))
    assert issued["status"] == 201
    verified = invoke(project, "verify_token", write_event(tmp_path, {"token": issued["token"]}))

    assert verified == {"status": 200, "user_id": "margaret"}


def test_an_unknown_function_names_the_known_ones(authentication_deployed: None, project: Project) -> None:
    result = project.deploy_py("invoke", "--service", "authentication", "--function", "nope")

    assert result.returncode == 1
    assert "service authentication has no function 'nope'" in result.stderr
    assert "create_user, issue_token, verify_token" in result.stderr


def test_an_event_that_is_not_json_is_refused(authentication_deployed: None, project: Project, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = project.deploy_py("invoke", "--service", "authentication", "--function", "verify_token", "--event", str(bad))

    assert result.returncode == 1
    assert "is not JSON" in result.stderr
