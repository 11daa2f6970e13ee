"""Change detection on real temporary git repositories (pipeline.changes.rules, dependencies, selection)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipeline.changes import git
from pipeline.changes.rules import MAX_REASONS, ChangeReport, DependencyGraph, ServiceDependencies, affected_services
from pipeline.changes.selection import changes_from_ledger, changes_since
from pipeline.errors import GitError
from pipeline.state.ledger import LedgerHead

MANIFEST = "name: {name}\ndescription: d\nruntime: python3.11\nlibs: {libs}\nfunctions:\n  run:\n    handler: {name}.run.handler\n"
FILES = {
    # alpha: modules/table directly, imports lib geo
    "services/alpha/service.yaml": MANIFEST.format(name="alpha", libs="[]"),
    "services/alpha/src/alpha/run.py": "from geo.point import Point\n\ndef handler(e, c):\n    return Point\n",
    "services/alpha/requirements.txt": "",
    "services/alpha/infra/main.tf": 'module "t" {\n  source = "../../../modules/table"\n}\n',
    # beta: modules/stack, which uses modules/table; declares lib obs
    "services/beta/service.yaml": MANIFEST.format(name="beta", libs="[obs]"),
    "services/beta/src/beta/run.py": "import json\n\ndef handler(e, c):\n    return json\n",
    "services/beta/infra/main.tf": 'module "s" {\n  source = "../../../modules/stack"\n}\n',
    # gamma: no infra modules, no libs
    "services/gamma/service.yaml": MANIFEST.format(name="gamma", libs="[]"),
    "services/gamma/src/gamma/run.py": "def handler(e, c):\n    return 1\n",
    "modules/table/main.tf": 'resource "aws_dynamodb_table" "t" {}\n',
    "modules/table/README.md": "# table\n",
    "modules/stack/main.tf": 'module "t" {\n  source = "../table"\n}\n',
    "modules/iam/function-role/main.tf": "# role\n",
    "libs/geo/geo/__init__.py": "",
    "libs/geo/geo/point.py": "Point = 1\n",
    "libs/obs/obs/__init__.py": "",
    "ops/iam/main.tf": "# roles\n",
    "README.md": "# repo\n",
}


def run_git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def commit(repo: Path, changes: dict[str, str | None], message: str = "change") -> str:
    """Write (or delete, for None) files and commit them; returns the new commit."""
    for path, text in changes.items():
        target = repo / path
        if text is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    run_git(repo, "add", "-A")
    run_git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message)
    return run_git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    run_git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, dict(FILES), "initial")
    return tmp_path


def selected(report: ChangeReport) -> dict[str, tuple[str, ...]]:
    return {affected.service: affected.reasons for affected in report.services}


def test_a_change_in_one_services_code_selects_only_it(repo: Path) -> None:
    base = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {"services/gamma/src/gamma/run.py": "def handler(e, c):\n    return 2\n"})

    report = changes_since(base, repo)

    assert selected(report) == {"gamma": ("services/gamma/src/gamma/run.py changed in its folder",)}
    assert report.ops_review == () and report.deleted == ()


def test_a_services_own_requirements_select_only_that_service(repo: Path) -> None:
    base = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {"services/alpha/requirements.txt": "requests==2.32.3\n"})

    assert list(selected(changes_since(base, repo))) == ["alpha"]


def test_a_module_used_by_two_services_selects_both_and_names_the_module(repo: Path) -> None:
    base = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {"modules/table/main.tf": 'resource "aws_dynamodb_table" "t" { name = "x" }\n'})

    reasons = selected(changes_since(base, repo))

    assert reasons == {
        "alpha": ("modules/table/main.tf: modules/table is used by services/alpha/infra",),
        "beta": ("modules/table/main.tf: modules/table is used by services/beta/infra (via modules/stack)",),
    }


def test_a_shared_lib_selects_exactly_its_users(repo: Path) -> None:
    base = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {"libs/geo/geo/point.py": "Point = 2\n", "libs/obs/obs/__init__.py": "LEVEL = 1\n"})

    reasons = selected(changes_since(base, repo))

    assert reasons == {
        "alpha": ("libs/geo/geo/point.py is imported by services/alpha/src/alpha/run.py",),
        "beta": ("libs/obs/obs/__init__.py is in lib obs, declared in services/beta/service.yaml",),
    }


def test_lib_declarations_in_block_form_count_and_mentions_do_not(repo: Path) -> None:
    block = "name: delta\ndescription: not obs related\nruntime: python3.11\nlibs:\n  - geo\nfunctions:\n  run:\n    handler: delta.run.handler\n"
    commit(repo, {"services/delta/service.yaml": block, "services/delta/src/delta/run.py": "import obsolete\n"})
    base = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {"libs/geo/geo/point.py": "Point = 3\n", "libs/obs/obs/__init__.py": "LEVEL = 2\n"})

    reasons = selected(changes_since(base, repo))

    assert reasons["delta"] == ("libs/geo/geo/point.py is in lib geo, declared in services/delta/service.yaml",)
    assert sorted(reasons) == ["alpha", "beta", "delta"]


def test_ops_changes_deploy_nothing_and_need_ops_review(repo: Path) -> None:
    base = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {"ops/iam/main.tf": "# roles v2\n", "modules/iam/function-role/main.tf": "# role v2\n"})

    report = changes_since(base, repo)

    assert report.services == ()
    assert report.ops_review == ("modules/iam/function-role/main.tf", "ops/iam/main.tf")


def test_docs_only_changes_deploy_nothing(repo: Path) -> None:
    base = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {"README.md": "# repo v2\n", "modules/table/README.md": "# t\n", "services/beta/NOTES.md": "n\n"})

    assert changes_since(base, repo) == ChangeReport()


def test_a_deleted_service_is_reported_not_deployed(repo: Path) -> None:
    base = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {path: None for path in FILES if path.startswith("services/gamma/")})

    report = changes_since(base, repo)

    assert report.services == () and report.deleted == ("gamma",)


@pytest.mark.parametrize("ref", ["nope", "--output=written", "HEAD~5"])
def test_a_bad_since_ref_names_the_ref(repo: Path, ref: str) -> None:
    with pytest.raises(GitError, match=f"--since '{ref}' is not a commit"):
        changes_since(ref, repo)
    assert not (repo / "written").exists()


def test_the_ledger_base_selects_new_uncommitted_and_changed_services(repo: Path) -> None:
    first = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {"services/alpha/src/alpha/run.py": "def handler(e, c):\n    return 3\n"})
    head = git.head_commit(repo)
    heads = {
        "alpha": LedgerHead(first, True),  # changed since its base
        "beta": LedgerHead(head, False),  # deployed with uncommitted changes
        "gone": LedgerHead(first, True),  # deployed once, folder since removed
    }

    report = changes_from_ledger(heads, "dev", repo)

    assert selected(report) == {
        "alpha": ("services/alpha/src/alpha/run.py changed in its folder",),
        "beta": ("last deploy to dev was not from a commit (uncommitted changes)",),
        "gamma": ("no successful deploy to dev yet",),
    }
    assert report.deleted == ("gone",)


def test_a_failed_deploy_leaves_the_base_so_the_service_stays_changed(repo: Path) -> None:
    base = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {"services/gamma/src/gamma/run.py": "def handler(e, c):\n    return 4\n"})
    everyone_at_base = {name: LedgerHead(base, True) for name in ("alpha", "beta", "gamma")}

    # A failed execution never moves the head, so the next run compares against the same base.
    assert list(selected(changes_from_ledger(everyone_at_base, "dev", repo))) == ["gamma"]
    assert list(selected(changes_from_ledger(everyone_at_base, "dev", repo))) == ["gamma"]


def test_services_already_at_head_are_not_selected(repo: Path) -> None:
    head = git.head_commit(repo)
    heads = {name: LedgerHead(head, True) for name in ("alpha", "beta", "gamma")}

    assert changes_from_ledger(heads, "dev", repo) == ChangeReport()


def test_reasons_are_one_per_path_and_capped() -> None:
    graph = DependencyGraph({
        "kit_user": ServiceDependencies(declared_libs=("kit",), lib_imports={"kit": ("services/kit_user/src/a.py", "services/kit_user/src/b.py")}),
    })
    paths = ["libs/kit/requirements.txt", "libs/kit/kit/x.py", *[f"services/kit_user/src/f{i}.py" for i in range(12)]]

    reasons = affected_services(paths, graph).services[0].reasons

    assert reasons[0] == "libs/kit/kit/x.py is imported by services/kit_user/src/a.py and 1 more files"
    assert reasons[1] == "libs/kit/requirements.txt is in lib kit, imported by services/kit_user/src/a.py and 1 more files"
    assert len(reasons) == MAX_REASONS + 1 and reasons[-1] == "... and 4 more"


GRANTED = MANIFEST.format(name="gamma", libs="[]") + "    permissions:\n      events: {actions}\ntables:\n  events:\n    hash_key: id\n"


def test_a_manifest_whose_grants_changed_deploys_and_needs_ops_review_naming_the_grants(repo: Path) -> None:
    commit(repo, {"services/gamma/service.yaml": GRANTED.format(actions="[dynamodb:GetItem]")})
    base = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {"services/gamma/service.yaml": GRANTED.format(actions="[dynamodb:GetItem, dynamodb:UpdateItem]")})

    report = changes_since(base, repo)

    assert list(selected(report)) == ["gamma"]
    assert report.ops_review == ("services/gamma/service.yaml",)
    assert [(review.service, review.changes) for review in report.grants] == [
        ("gamma", ("+ run: dynamodb:UpdateItem on table events",)),
    ]


def test_a_manifest_edit_that_keeps_its_grants_needs_no_ops_review(repo: Path) -> None:
    base = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {"services/gamma/service.yaml": MANIFEST.format(name="gamma", libs="[]").replace("description: d", "description: e")})

    report = changes_since(base, repo)

    assert list(selected(report)) == ["gamma"] and report.ops_review == () and report.grants == ()


def test_removed_grants_and_new_services_are_listed_and_an_unreadable_manifest_is_reviewed_whole(repo: Path) -> None:
    commit(repo, {"services/gamma/service.yaml": GRANTED.format(actions="[dynamodb:GetItem]")})
    base = run_git(repo, "rev-parse", "HEAD")
    commit(repo, {
        "services/gamma/service.yaml": MANIFEST.format(name="gamma", libs="[]").replace("functions:", "functions: {}\nx:"),
        "services/delta/service.yaml": MANIFEST.format(name="delta", libs="[]") + "    invokes: [gamma.run]\n",
    })

    reviews = {review.service: review.changes for review in changes_since(base, repo).grants}

    assert reviews["delta"] == ("+ run: lambda:InvokeFunction on function gamma.run",)
    assert len(reviews["gamma"]) == 1 and reviews["gamma"][0].startswith("grants unreadable, review the whole file:")
