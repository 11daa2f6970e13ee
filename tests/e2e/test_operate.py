"""Operating the deployed reference system: logs across services, status and drift, the console, watch."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.aws import Identity, Target
from pipeline.paths import PROJECT_ROOT
from tests.e2e.conftest import HANDLED, Project
from tests.e2e.test_reference_system import SERVICES, Gateway, deployed, gateway  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENSHOT = PROJECT_ROOT / ".local" / "console.png"


@pytest.fixture(scope="module")
def grace(gateway: Gateway) -> str:  # noqa: F811
    """A user of this module's own, with a token, a location and a profile."""
    password = "grace " + uuid.uuid4().hex
    assert gateway.request("POST", "/authentication/users", {"user_id": "grace", "password": password})[0] == 201
    status, issued, _ = gateway.request("POST", "/authentication/tokens", {"user_id": "grace", "password": password})
    assert status == 201, issued
    token = str(issued["token"])
    HANDLED.secrets.update({password, token})
    status, _, _ = gateway.request("PUT", "/location/locations/grace", {"latitude": 1.5, "longitude": 2.5},
                                   headers={"x-user-token": token}, sign=True)
    assert status == 200
    status, _, _ = gateway.request("POST", "/profile/profiles", {"display_name": "Grace"},
                                   headers={"authorization": f"Bearer {token}"})
    assert status == 201
    return token


@pytest.fixture(scope="module")
def profile_request(grace: str, gateway: Gateway) -> str:  # noqa: F811
    """The correlation ID of one profile GET (profile -> authentication, then location -> authentication)."""
    correlation_id = str(uuid.uuid4())
    status, body, _ = gateway.request("GET", "/profile/profiles/grace", headers={
        "authorization": f"Bearer {grace}", "x-correlation-id": correlation_id})
    assert status == 200, body
    return correlation_id


def test_logs_by_correlation_id_show_the_request_through_all_three_services_in_order(
        profile_request: str, project: Project) -> None:
    result = project.deploy_py("logs", "--correlation-id", profile_request, "--json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    handled = [(r["service"], r["route"]) for r in records if r["message"] == "request handled"]

    assert all(r["correlation_id"] == profile_request for r in records)
    assert [service for service, _ in handled] == ["authentication", "authentication", "location", "profile"]
    assert handled[-1][1] == "GET /profiles/{user_id}" and handled[2][1] == "GET /locations/{user_id}"

    text = project.deploy_py("logs", "--correlation-id", profile_request)
    lines = [line for line in text.stdout.splitlines() if "request handled" in line]
    assert [line.split()[2] for line in lines] == [
        "authentication-verify_token", "authentication-verify_token", "location-get_location", "profile-get_profile"]


def test_logs_of_one_service_merge_its_functions_and_refuse_a_bad_since(profile_request: str, project: Project) -> None:
    result = project.deploy_py("logs", "--service", "location", "--since", "1h")
    assert result.returncode == 0, result.stderr
    assert "location-get_location" in result.stdout and "location-put_location" in result.stdout

    refused = project.deploy_py("logs", "--service", "location", "--since", "yesterday")
    assert refused.returncode == 1 and "is not a duration" in refused.stderr


def status_of(project: Project) -> dict[str, dict[str, object]]:
    result = project.deploy_py("status", "--json")
    assert result.returncode == 0, result.stderr
    return {entry["service"]: entry for entry in json.loads(result.stdout)["local"]}


def test_status_lists_live_versions_and_last_executions_and_shows_drift(
        deployed: None, project: Project, local_target: Target) -> None:  # noqa: F811
    from pipeline.state.ledger import Ledger

    before = status_of(project)
    for service in SERVICES:
        last = Ledger(local_target.for_service(service)).last_success(service)
        assert last is not None
        entry = before[service]
        assert {alias["function"]: alias["version"] for alias in entry["live"]} == last.versions  # type: ignore[union-attr]
        assert entry["last_execution"]["result"] == "succeeded"  # type: ignore[index]
        assert entry["artifact_sha256"] == last.artifact_sha256 and entry["drift"] == []
        assert entry["api_url"] == f"{entry['api_url']}".split("/" + service)[0] + "/" + service

    lambda_client = local_target.client("lambda", Identity.OPS)
    lambda_client.update_function_configuration(FunctionName="local-location-get_location", MemorySize=512)
    try:
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName="local-location-get_location")
        drifted = status_of(project)
    finally:
        lambda_client.update_function_configuration(FunctionName="local-location-get_location", MemorySize=256)
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName="local-location-get_location")

    assert drifted["location"]["drift"] == ["local-location-get_location: memory_size: state 256, live 512"]
    assert drifted["profile"]["drift"] == [] and drifted["authentication"]["drift"] == []


@pytest.fixture
def browser() -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("headless chromium is installed by `make system-deps` (CI and root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,2200"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_console_shows_status_execution_stages_graph_and_one_requests_logs(
        browser: object, gateway: Gateway, profile_request: str, local_target: Target) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from pipeline.state.ledger import Ledger

    driver: Any = browser
    driver.get(f"{gateway.base_url}/_console")
    wait = WebDriverWait(driver, 60)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#status tbody tr")) >= len(SERVICES))

    rows = {row.get_attribute("data-service"): row.text for row in driver.find_elements(By.CSS_SELECTOR, "#status tbody tr")}
    assert set(SERVICES) <= set(rows)
    for service in SERVICES:
        last = Ledger(local_target.for_service(service)).executions(service)[-1]
        timeline = driver.find_element(By.CSS_SELECTOR, f'.timeline[data-execution="{last.execution_id}"]')
        shown = [stage.get_attribute("data-stage") for stage in timeline.find_elements(By.CSS_SELECTOR, ".stage")]
        assert shown == [stage.name for stage in last.stages if stage.started_at], service
        assert "succeeded" in rows[service] or "failed" in rows[service]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#graph svg, #graph pre"))

    driver.find_element(By.ID, "correlation-id").send_keys(profile_request)
    driver.find_element(By.CSS_SELECTOR, "#log-search button").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#logs tbody tr")) >= 4)
    functions = [row.find_elements(By.TAG_NAME, "td")[2].text for row in driver.find_elements(By.CSS_SELECTOR, "#logs tbody tr")]
    assert {"local-authentication-verify_token", "local-location-get_location", "local-profile-get_profile"} <= set(functions)

    SCREENSHOT.parent.mkdir(exist_ok=True)
    driver.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000


def test_a_saved_edit_to_locations_handler_goes_live_through_watch(
        deployed: None, gateway: Gateway, grace: str, project: Project, local_target: Target) -> None:  # noqa: F811
    handler = project.root / "services" / "location" / "src" / "location" / "get_location.py"
    original = handler.read_text()
    marker = f"watched-{uuid.uuid4().hex[:8]}"
    lambda_client = local_target.client("lambda", Identity.OPS)
    before = lambda_client.get_alias(FunctionName="local-location-get_location", Name="live")["FunctionVersion"]
    watcher = project.start("watch", "--service", "location")
    lines: queue.Queue[str] = queue.Queue()
    assert watcher.stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in watcher.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        assert "watching services/location" in lines.get(timeout=60)
        edited = original.replace('    user_id = request.path("user_id")\n', f'    user_id = request.path("user_id")\n    print({marker!r})\n')
        assert edited != original
        handler.write_text(edited)
        line = lines.get(timeout=120)
    finally:
        watcher.terminate()  # its test runs start no process holding AWS secrets, so no `finish` bookkeeping
        watcher.wait(timeout=30)
        handler.write_text(original)

    assert " location: live in " in line, line
    after = lambda_client.get_alias(FunctionName="local-location-get_location", Name="live")["FunctionVersion"]
    assert int(after) > int(before)
    status, body, _ = gateway.request("GET", "/location/locations/grace", headers={"x-user-token": grace}, sign=True)
    assert (status, body["latitude"]) == (200, 1.5)
    logs = local_target.client("logs", Identity.OPS)
    found = logs.filter_log_events(logGroupName="/aws/lambda/local-location-get_location", filterPattern=f'"{marker}"')
    assert found["events"], "the new version did not answer"
    assert status_of(project)["location"]["drift"] == []
