"""Dependency globs: what a service depends on, and the glob dialect CodePipeline filters use."""

from __future__ import annotations

import pytest

from pipeline.dependencies import DependencySet, dependency_set, matches, path_globs
from pipeline.services import load_service, service_names


def test_globs_cover_the_folder_modules_and_libs_once() -> None:
    dependencies = DependencySet("services/a", modules=("modules/table", "modules/function", "modules/table"), libs=("libs/obs",))
    assert path_globs(dependencies) == ("libs/obs/**", "modules/function/**", "modules/table/**", "services/a/**")


def test_location_depends_on_the_modules_its_root_uses() -> None:
    dependencies = dependency_set(load_service("location"))
    assert dependencies.folder == "services/location"
    assert set(dependencies.modules) == {"modules/function", "modules/http-api", "modules/table"}


@pytest.mark.parametrize(("path", "expected"), [
    ("services/location/src/location/http.py", True),
    ("services/location/service.yaml", True),
    ("services/locations/service.yaml", False),
    ("modules/table/main.tf", True),
    ("modules/tables/main.tf", False),
    ("README.md", False),
])
def test_double_star_spans_folders_only_below_the_named_one(path: str, expected: bool) -> None:
    assert matches(path, ("services/location/**", "modules/table/**")) is expected


def test_single_star_stays_in_one_segment() -> None:
    assert matches("services/a/service.yaml", ["services/*/service.yaml"])
    assert not matches("services/a/b/service.yaml", ["services/*/service.yaml"])


def test_every_service_has_globs_within_codepipeline_limits() -> None:
    for name in service_names():
        globs = path_globs(dependency_set(load_service(name)))
        assert 1 <= len(globs) <= 24  # 3 push filters x 8 file paths
