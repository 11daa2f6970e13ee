"""environments.toml `endpoint`: checked when read; reached as it is, with its own identity."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pipeline import emulator
from pipeline.aws import Identity, Target, connect
from pipeline.errors import EmulatorError, IdentityError, ManifestError
from pipeline.project.environments import Environment, load_environments
from tests.conftest import unused_port

BASE = 'region = "us-east-1"\nstate_bucket = "s"\nartifact_bucket = "a"\n'


def read(tmp_path: Path, table: str) -> Environment:
    path = tmp_path / "environments.toml"
    path.write_text(f"[outside]\n{BASE}{table}")
    return load_environments(path)["outside"]


def test_an_endpoint_with_fixed_credentials_is_read(tmp_path: Path) -> None:
    environment = read(tmp_path, 'emulator = true\nendpoint = "http://127.0.0.1:4566"\n'
                                 'access_key_id = "test"\nsecret_access_key = "test"\n')
    assert (environment.endpoint, environment.access_key_id, environment.profile) == ("http://127.0.0.1:4566", "test", None)


@pytest.mark.parametrize(("table", "refused"), [
    ('emulator = true\nendpoint = "127.0.0.1:4566"\naccess_key_id = "t"\nsecret_access_key = "t"\n', "is not an http(s) URL"),
    ('emulator = true\nendpoint = "http://127.0.0.1:99999"\nprofile = "p"\n', "is not an http(s) URL"),
    ('emulator = true\nendpoint = "http://127.0.0.1:0"\nprofile = "p"\n', "is not an http(s) URL"),
    ('emulator = true\nendpoint = "http://h:1/some/path"\nprofile = "p"\n', "is not an http(s) URL"),
    ('emulator = true\nendpoint = 4566\nprofile = "p"\n', "endpoint must be non-empty text"),
    ('emulator = false\nendpoint = "http://127.0.0.1:4566"\nprofile = "p"\n', "has an endpoint but not emulator = true"),
    ('emulator = true\nendpoint = "http://127.0.0.1:4566"\n', "needs access_key_id and secret_access_key, or a profile"),
    ('emulator = true\nendpoint = "http://127.0.0.1:4566"\naccess_key_id = "t"\n', "needs access_key_id and secret_access_key"),
    ('emulator = true\nendpoint = "http://127.0.0.1:4566"\nprofile = "p"\naccess_key_id = "t"\n', "names both a profile"),
    ('emulator = true\nprofile = "p"\n', "has profile but no endpoint"),
])
def test_a_bad_endpoint_table_is_refused_naming_the_field(tmp_path: Path, table: str, refused: str) -> None:
    with pytest.raises(ManifestError, match=refused.replace("(", r"\(").replace(")", r"\)")):
        read(tmp_path, table)


def test_an_endpoint_where_nothing_answers_fails_fast_and_starts_nothing(tmp_path: Path) -> None:
    environment = read(tmp_path, f'emulator = true\nendpoint = "http://127.0.0.1:{unused_port()}"\n'
                                 'access_key_id = "t"\nsecret_access_key = "t"\n')
    running_before = emulator.current()
    with pytest.raises(EmulatorError, match="nothing answers at http://127.0.0.1:.*the endpoint of environment 'outside'"):
        connect(environment)
    assert emulator.current() == running_before


@pytest.mark.emulator
def test_an_endpoint_is_used_as_it_is_with_its_own_identity(local_target: Target, tmp_path: Path) -> None:
    """The suite's emulator, reached as an external endpoint: an AWS call checks it, nothing is started."""
    ops = emulator.ops_credentials()
    environment = replace(local_target.environment, name="outside", endpoint=local_target.endpoint,
                          access_key_id=ops.access_key_id, secret_access_key=ops.secret_access_key)
    target = connect(environment)
    assert (target.endpoint, target.emulator_started) == (local_target.endpoint, False)
    identity = target.client("sts", Identity.OPS).get_caller_identity()
    assert identity["Arn"].endswith(f"user/{emulator.OPS_USER}")
    wrong = replace(environment, secret_access_key="wrong")
    with pytest.raises(IdentityError, match="refuses environment 'outside''s identity"):
        connect(wrong)


@pytest.mark.emulator
def test_a_profile_that_does_not_exist_is_named(tmp_path: Path, local_target: Target) -> None:
    environment = replace(local_target.environment, name="outside", endpoint=local_target.endpoint, profile="nope")
    with pytest.raises(IdentityError, match="nope"):
        connect(environment)
