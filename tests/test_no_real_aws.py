"""`make test` never reaches real AWS: real environments have no credentials inside the suite."""

from __future__ import annotations

import pytest
from botocore.exceptions import NoCredentialsError, ProfileNotFound

from pipeline.aws import AMBIENT_CREDENTIALS, Identity, Target
from pipeline.project.environments import load_environments

REAL = [env for env in load_environments().values() if not env.emulator]


@pytest.mark.parametrize("environment", REAL, ids=[env.name for env in REAL])
@pytest.mark.parametrize("identity", list(Identity))
def test_a_real_environment_cannot_be_reached_from_the_suite(environment: object, identity: Identity, monkeypatch: pytest.MonkeyPatch) -> None:
    target = Target(environment)  # type: ignore[arg-type]
    with pytest.raises((ProfileNotFound, NoCredentialsError)):
        target.client("sts", identity).get_caller_identity()
    monkeypatch.setenv(AMBIENT_CREDENTIALS, "1")  # as CI runners do: still nothing to sign with
    with pytest.raises(NoCredentialsError):
        target.client("sts", identity).get_caller_identity()


def test_the_checked_in_definition_has_real_environments_to_guard() -> None:
    assert {"dev", "prod"} <= {env.name for env in REAL}
