"""The README stays a front door and the docs cannot point at what is not there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pipeline.paths import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
README_LIMIT_BYTES = 10_000
DOCUMENTS = [README, *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# tests/<path>.py, optionally ::name (a trailing * makes it a prefix); a bare ::name continues the last file.
TEST_REFERENCE = re.compile(r"(tests/[\w/]+\.py)?(?:::(\w+\*?))?")


def relative_links(document: Path) -> list[str]:
    prose = re.sub(r"`[^`\n]*`", "", document.read_text())  # code spans are not links
    return [link for link in MARKDOWN_LINK.findall(prose) if not re.match(r"[a-z]+:", link)]


def test_readme_is_a_front_door_not_the_manual() -> None:
    assert len(README.read_bytes()) < README_LIMIT_BYTES, "move sections into docs/ and link them"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.relative_to(PROJECT_ROOT).as_posix())
def test_every_relative_link_names_an_existing_file_without_an_anchor(document: Path) -> None:
    for link in relative_links(document):
        assert "#" not in link, f"{document.name}: link to a file, not a heading that may be renamed: {link}"
        assert (document.parent / link).exists(), f"{document.name}: {link} does not exist"


def test_every_docs_file_is_reachable_from_the_readme() -> None:
    reachable, pending = {README.resolve()}, [README]
    while pending:
        document = pending.pop()
        for link in relative_links(document):
            target = (document.parent / link).resolve()
            if target.suffix == ".md" and target.is_file() and target not in reachable:
                reachable.add(target)
                pending.append(target)
    unreachable = [path.name for path in DOCUMENTS if path.resolve() not in reachable]
    assert not unreachable, f"link these from README.md: {unreachable}"


def named_tests(text: str) -> list[tuple[str, str | None]]:
    """(file, test name or prefix) for every `tests/...py[::name]` in code spans of `text`.

    A `::` span that is not such a reference (a file named without its folder) is an error.
    """
    found: list[tuple[str, str | None]] = []
    for span in re.findall(r"`([^`]+)`", text):
        match = TEST_REFERENCE.fullmatch(span)
        if not match or not (match.group(1) or match.group(2)):
            assert "::" not in span, f"`{span}`: name the test as tests/<path>.py::<name>"
            continue
        if match.group(1) is None:
            assert found, f"`{span}` continues no test file named before it"
        found.append((match.group(1) or found[-1][0], match.group(2)))
    return found


def defined_names(test_file: Path) -> set[str]:
    return {
        node.name for node in ast.walk(ast.parse(test_file.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.relative_to(PROJECT_ROOT).as_posix())
def test_every_test_a_document_names_exists(document: Path) -> None:
    missing = []
    for file, name in named_tests(document.read_text()):
        path = PROJECT_ROOT / file
        if not path.is_file():
            missing.append(file)
        elif name is not None and not any(
            defined == name or (name.endswith("*") and defined.startswith(name[:-1])) for defined in defined_names(path)
        ):
            missing.append(f"{file}::{name}")
    assert not missing, f"{document.name} names tests that do not exist: {missing}"


def test_the_test_reference_check_can_fail() -> None:
    text = "`tests/test_docs.py::test_readme_*`, `::no_such_test`, `tests/nowhere.py`"
    references = named_tests(text)

    assert references == [
        ("tests/test_docs.py", "test_readme_*"), ("tests/test_docs.py", "no_such_test"), ("tests/nowhere.py", None)
    ]
    names = defined_names(PROJECT_ROOT / "tests/test_docs.py")
    assert "test_readme_is_a_front_door_not_the_manual" in names and "no_such_test" not in names
