"""ops/pipelines' inputs: one pipeline per service, triggered by the change detection's own globs."""

from __future__ import annotations

from pathlib import Path

from pipeline.aws import Target
from pipeline.changes.rules import PathFilter
from pipeline.flows.codepipeline import pipeline_inputs, trigger_filters
from pipeline.project.environments import get_environment
from pipeline.project.services import service_names
from tests.pipeline.test_changes import FILES, commit, run_git


def test_each_services_triggers_are_its_folder_and_what_it_uses(tmp_path: Path) -> None:
    run_git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, dict(FILES), "initial")

    filters = trigger_filters(tmp_path)

    assert set(filters) == {"alpha", "beta", "gamma"}
    assert all(isinstance(found, PathFilter) and f"services/{name}/**" in found.includes for name, found in filters.items())
    assert "modules/table/*" in filters["alpha"].includes and "libs/geo/**" in filters["alpha"].includes
    assert {"modules/stack/*", "modules/table/*", "libs/obs/**"} <= set(filters["beta"].includes)
    assert not any(glob.startswith(("modules/", "libs/")) for glob in filters["gamma"].includes)


def test_the_root_gets_the_environment_every_service_and_ops_settings_last() -> None:
    dev = Target(get_environment("dev"))

    inputs = pipeline_inputs(dev, {"artifact_bucket": "ops-choice", "branch": "release"})

    assert (inputs["environment"], inputs["region"]) == ("dev", dev.environment.region)
    assert (inputs["artifact_bucket"], inputs["branch"]) == ("ops-choice", "release")
    assert sorted(inputs["services"]) == service_names()
    assert "services/location/**" in inputs["services"]["location"]["trigger_paths"]
    assert isinstance(inputs["services"]["location"]["trigger_excludes"], list)
