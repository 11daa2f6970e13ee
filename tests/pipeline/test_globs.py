"""The glob dialect trigger filters and change detection share (CodePipeline's)."""

from __future__ import annotations

import pytest

from pipeline.changes.globs import matches


@pytest.mark.parametrize(("path", "expected"), [
    ("services/location/src/location/http.py", True),
    ("services/location/service.yaml", True),
    ("services/locations/service.yaml", False),
    ("modules/table/main.tf", True),
    ("modules/table/examples/basic/main.tf", False),
    ("modules/tables/main.tf", False),
    ("README.md", False),
])
def test_double_star_spans_folders_single_star_one_segment(path: str, expected: bool) -> None:
    assert matches(path, ("services/location/**", "modules/table/*")) is expected


@pytest.mark.parametrize("path", ["README.md", "docs/scaling.md", "services/a/NOTES.md", "modules/t/README"])
def test_a_leading_double_star_matches_in_any_folder_including_the_root(path: str) -> None:
    assert matches(path, ("**/*.md", "**/README*"))


def test_question_mark_and_literal_dots() -> None:
    assert matches("a/b1.tf", ["a/b?.tf"])
    assert not matches("a/b1xtf", ["a/b?.tf"])
