from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.errors import ToolchainError
from pipeline.terraform.roots import all_roots
from pipeline.terraform.toolchain import ProviderPin, _platform_dir, find_mirror, load_pins, render_cli_config

PIN = ProviderPin("hashicorp/aws", "5.100.0")


def fake_mirror(root: Path) -> Path:
    (root / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / _platform_dir()).mkdir(parents=True)
    return root


def test_the_env_override_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = fake_mirror(tmp_path / "mirror")
    monkeypatch.setenv("TF_PLUGIN_MIRROR", str(mirror))

    assert find_mirror([PIN]) == mirror


def test_an_override_without_the_pinned_provider_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_PLUGIN_MIRROR", str(tmp_path))

    with pytest.raises(ToolchainError, match="lacks hashicorp/aws 5.100.0"):
        find_mirror([PIN])


def test_the_cli_config_uses_the_mirror_only_for_what_it_holds(tmp_path: Path) -> None:
    text = render_cli_config(tmp_path / "mirror", tmp_path / "cache")

    assert f'plugin_cache_dir = "{tmp_path / "cache"}"' in text
    assert f'path    = "{tmp_path / "mirror"}"' in text
    assert "filesystem_mirror" not in render_cli_config(None, tmp_path / "cache")


def test_every_root_pins_the_toolchain_versions_and_commits_its_lock() -> None:
    required_version, pins = load_pins()
    roots = all_roots()
    assert roots
    for root in roots:
        versions = (root / "versions.tf").read_text()
        assert f'required_version = "{required_version}"' in versions, root
        lock = (root / ".terraform.lock.hcl").read_text()
        for pin in pins:
            assert re.search(rf'version\s+=\s+"{re.escape(pin.version)}"', versions), root
            assert f'provider "registry.terraform.io/{pin.source}"' in lock, root
            assert f'version     = "{pin.version}"' in lock, root
