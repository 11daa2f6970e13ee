"""Requirements locks: complete, hashed, generated from their `.in` lists, and refused when they are not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.errors import DependencyLockError
from pipeline.paths import PROJECT_ROOT
from pipeline.project.locks import (
    DEV_PLATFORM,
    LockTarget,
    lock_problem,
    lock_targets,
    merged_lock,
    parse_lock,
    render_lock,
)
from pipeline.flows.lock_deps import uv_compile_command
from pipeline.project.manifest import load_yaml, parse_manifest
from pipeline.project.services import Service
from pipeline.stages.deploy import package

SIX = "six==1.17.0 \\\n    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n"


def test_every_requirements_file_the_project_installs_is_a_current_lock() -> None:
    targets = lock_targets()
    installed = {*PROJECT_ROOT.glob("requirements/*.txt"), *PROJECT_ROOT.glob("libs/*/requirements.txt"),
                 *PROJECT_ROOT.glob("services/*/requirements.txt")}

    assert {target.lock for target in targets} == installed
    assert [problem for target in targets if (problem := lock_problem(target))] == []
    for target in targets:
        text = target.lock.read_text()
        assert str(PROJECT_ROOT) not in text and "/tmp/" not in text
        parse_lock(text, target.name)  # every line pinned and hashed


def copied_target(tmp_path: Path) -> LockTarget:
    source, lock = tmp_path / "dev.in", tmp_path / "dev.txt"
    shutil.copyfile(PROJECT_ROOT / "requirements" / "dev.in", source)
    shutil.copyfile(PROJECT_ROOT / "requirements" / "dev.txt", lock)
    return LockTarget(source, lock, "3.11", DEV_PLATFORM, wheels_only=False)


def test_a_lock_edited_by_hand_is_caught(tmp_path: Path) -> None:
    target = copied_target(tmp_path)
    assert lock_problem(target) is None
    target.lock.write_text(target.lock.read_text().replace("pytest==9.0.3", "pytest==9.0.2"))

    assert lock_problem(target) == f"{target.lock} was edited by hand: its body does not match its stamp"


def test_a_lock_older_than_its_input_list_is_stale(tmp_path: Path) -> None:
    target = copied_target(tmp_path)
    target.source.write_text(target.source.read_text() + "selenium==4.40.0\n")

    assert lock_problem(target) == f"{target.lock} is stale: dev.in changed since it was locked"


def test_a_lock_without_a_stamp_is_not_trusted(tmp_path: Path) -> None:
    target = copied_target(tmp_path)
    target.lock.write_text(SIX)

    assert "has no stamp" in str(lock_problem(target))


def test_render_then_check_round_trips(tmp_path: Path) -> None:
    target = copied_target(tmp_path)
    target.lock.write_text(render_lock(target, target.source.read_text(), SIX))

    assert lock_problem(target) is None


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("# runtime\nsix\n", 2, "'six' is not pinned with =="),
    ("six>=1.16\n", 1, "'six>=1.16' is not pinned with =="),
    ("\n\nsix==1.17.0\n", 3, "'six==1.17.0' has no --hash"),
    ("six==1.17.0 --hash=md5:abc\n", 1, "'--hash=md5:abc' is not a --hash=sha256:<hex> option"),
    ("-r other.txt\n", 1, "'-r' is not pinned with =="),
    ("https://example.com/six.whl\n", 1, "is not pinned with =="),
])
def test_an_unpinned_or_unhashed_requirement_is_refused_with_file_and_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(DependencyLockError) as refused:
        parse_lock(text, "services/alpha/requirements.txt")

    assert refused.value.message.startswith(f"services/alpha/requirements.txt:{line}: ")
    assert reason in refused.value.message
    assert "make lock-deps" in refused.value.hint


def test_continuation_lines_and_comments_are_read_as_one_requirement() -> None:
    (six,) = parse_lock("# header\n" + SIX + "    # via\n    #   python-dateutil\n", "x.txt")

    assert (six.name, six.version, six.where) == ("six", "1.17.0", "x.txt:2")
    assert six.hashes == ("sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274",)


def test_two_locks_pinning_one_package_differently_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(SIX)
    (tmp_path / "b.txt").write_text(SIX.replace("1.17.0", "1.16.0"))

    with pytest.raises(DependencyLockError, match=r"b.txt:1 pins six==1.16.0 but .*a.txt:1 pins 1.17.0"):
        merged_lock([tmp_path / "a.txt", tmp_path / "b.txt"])


def test_the_same_pin_in_two_locks_is_installed_once() -> None:
    lib = PROJECT_ROOT / "libs" / "service_kit" / "requirements.txt"

    assert merged_lock([lib, lib]) == merged_lock([lib])
    assert merged_lock([lib]).count("six==1.17.0") == 1


def test_packaging_refuses_an_unhashed_runtime_requirement_naming_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "services" / "alpha"
    (folder / "src" / "alpha").mkdir(parents=True)
    (folder / "src" / "alpha" / "get.py").write_text("def handler(event, context): ...\n")
    (folder / "requirements.txt").write_text("# runtime dependencies\nsix==1.17.0\n")
    manifest_text = "name: alpha\ndescription: d\nfunctions:\n  get:\n    handler: alpha.get.handler\n"
    service = Service("alpha", folder, parse_manifest(load_yaml(manifest_text, "service.yaml"), "service.yaml", "alpha"))

    with pytest.raises(DependencyLockError, match=r"requirements.txt:2: 'six==1.17.0' has no --hash"):
        package(service, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_every_install_of_a_lock_requires_hashes() -> None:
    places = [PROJECT_ROOT / "Makefile", *PROJECT_ROOT.glob(".github/workflows/*.yml"), *PROJECT_ROOT.glob("modules/**/*.tf")]
    installs = [(path.relative_to(PROJECT_ROOT).as_posix(), line.strip()) for path in places
                for line in path.read_text().splitlines() if "pip install" in line and "requirements" in line]

    assert len(installs) >= 3
    assert [install for install in installs if "--require-hashes" not in install[1]] == []


def test_uv_resolves_each_lock_hashed_for_its_own_platform_and_python() -> None:
    targets = {target.name: target for target in lock_targets()}
    service, dev = next(t for t in targets.values() if t.wheels_only), next(t for t in targets.values() if not t.wheels_only)

    command = uv_compile_command(service, Path("lock.txt"), upgrade=False)
    assert "--generate-hashes" in command and command[-2:] == ["--only-binary", ":all:"]
    assert command[command.index("--python-platform") + 1] == service.platform
    assert command[command.index("--python-version") + 1] == service.python_version
    assert "--only-binary" not in uv_compile_command(dev, Path("lock.txt"), upgrade=False)
    assert uv_compile_command(dev, Path("lock.txt"), upgrade=True)[-1] == "--upgrade"
