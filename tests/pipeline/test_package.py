from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from pipeline.stages import package
from pipeline.stages.package import PackageInputs, build, inputs_hash, source_files, write_zip


def make_source(root: Path) -> Path:
    (root / "svc").mkdir(parents=True)
    (root / "svc" / "__init__.py").write_text("")
    (root / "svc" / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    (root / "svc" / "__pycache__").mkdir()
    (root / "svc" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"junk")
    return root


def test_same_inputs_give_the_same_bytes_whatever_the_mtime_and_umask(tmp_path: Path) -> None:
    first = make_source(tmp_path / "a")
    old_umask = os.umask(0o077)
    try:
        second = make_source(tmp_path / "b")
    finally:
        os.umask(old_umask)
    os.utime(second / "svc" / "handler.py", (0, 0))

    digest_a = write_zip(tmp_path / "a.zip", source_files(first))
    digest_b = write_zip(tmp_path / "b.zip", reversed(source_files(second)))

    assert digest_a == digest_b
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert archive.namelist() == ["svc/__init__.py", "svc/handler.py"]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_mode_change_changes_the_artifact(tmp_path: Path) -> None:
    source = make_source(tmp_path / "src")
    before = write_zip(tmp_path / "before.zip", source_files(source))
    (source / "svc" / "handler.py").chmod(0o755)

    assert write_zip(tmp_path / "after.zip", source_files(source)) != before


def test_an_unchanged_service_is_a_cache_hit(tmp_path: Path) -> None:
    source = make_source(tmp_path / "src")
    inputs = PackageInputs(tuple(source_files(source)), "", "python3.11")

    first = build(inputs, tmp_path / "cache")
    second = build(inputs, tmp_path / "cache")

    assert (first.cached, second.cached) == (False, True)
    assert first.artifact == second.artifact


def test_requirements_and_runtime_are_part_of_the_input_hash(tmp_path: Path) -> None:
    files = tuple(source_files(make_source(tmp_path / "src")))
    base = inputs_hash(PackageInputs(files, "", "python3.11"))

    assert inputs_hash(PackageInputs(files, "requests==2.32.3\n", "python3.11")) != base
    assert inputs_hash(PackageInputs(files, "", "python3.12")) != base


def test_services_with_the_same_requirements_install_them_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installs: list[str] = []

    def install(requirements: str, runtime: str, target: Path) -> None:
        installs.append(requirements)
        (target / "dep").mkdir(parents=True)
        (target / "dep" / "__init__.py").write_text("")

    monkeypatch.setattr(package, "install_requirements", install)
    source = tmp_path / "src"
    (source / "svc").mkdir(parents=True)
    for name in ("a", "b"):
        (source / "svc" / "handler.py").write_text(f"SERVICE = {name!r}\n")
        inputs = PackageInputs(files=tuple(source_files(source)), requirements="dep==1\n", runtime="python3.11")
        built = build(inputs, tmp_path / "cache")
        assert "dep/__init__.py" in zipfile.ZipFile(built.artifact.path).namelist()

    assert installs == ["dep==1\n"]
