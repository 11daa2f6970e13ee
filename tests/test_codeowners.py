"""CODEOWNERS: ops own IAM, each service's team owns its folder, platform owns the rest."""

from __future__ import annotations

from pipeline.paths import PROJECT_ROOT
from pipeline.services import service_names

OPS = "@monorepo-org/ops"


def rules() -> dict[str, list[str]]:
    lines = (PROJECT_ROOT / ".github" / "CODEOWNERS").read_text().splitlines()
    return {line.split()[0]: line.split()[1:] for line in lines if line.strip() and not line.startswith("#")}


def test_every_service_has_its_own_team() -> None:
    owners = rules()
    for name in service_names():
        assert owners.get(f"/services/{name}/") == [f"@monorepo-org/{name}"], f"add /services/{name}/ to CODEOWNERS"


def test_ops_own_iam_and_platform_owns_the_rest() -> None:
    owners = rules()
    assert owners["/modules/iam/"] == [OPS] and owners["/ops/"] == [OPS]
    assert owners["*"] == ["@monorepo-org/platform"]
    assert list(owners).index("*") == 0, "the catch-all must come first: the last matching line wins"
