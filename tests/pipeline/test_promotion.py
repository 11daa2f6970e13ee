"""Promotion and rollback: which execution may be promoted, its artifact checked, and the rollback point."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.aws import Identity, Target
from pipeline.errors import PromotionRefused, RollbackImpossible
from pipeline.flows.promotion import _fetch_artifact, _promotable, _rollback_point, promote
from pipeline.project.naming import artifact_key
from pipeline.project.services import load_service
from pipeline.stages.deploy import service_infra_hash
from pipeline.state.ledger import Ledger, LedgerEntry


def passed(execution_id: str, versions: dict[str, str], **changes: object) -> LedgerEntry:
    entry = replace(LedgerEntry.start("location", "prod", "c" * 40, True, execution_id=execution_id), versions=versions)
    return replace(entry.succeed(()), **changes)  # type: ignore[arg-type]


HISTORY = [
    passed("1-old", {"get": "1"}),
    passed("2-good", {"get": "2"}),
    passed("3-broken", {"get": "3"}, result="failed"),
    passed("4-infra-only", {}),
    passed("5-current", {"get": "4"}),
]


def test_rollback_goes_to_the_newest_passing_execution_that_differs_from_live() -> None:
    assert _rollback_point(HISTORY, {"get": "4"}, None).execution_id == "2-good"
    assert _rollback_point(HISTORY, {"get": "2"}, None).execution_id == "5-current"


def test_rollback_to_a_named_execution_takes_only_a_passing_one_with_versions() -> None:
    assert _rollback_point(HISTORY, {"get": "4"}, "1-old").execution_id == "1-old"
    for refused in ("3-broken", "4-infra-only", "9-unknown"):
        with pytest.raises(RollbackImpossible, match=f"no passing execution {refused} with recorded versions"):
            _rollback_point(HISTORY, {"get": "4"}, refused)


def test_rollback_with_nothing_earlier_than_live_is_refused() -> None:
    with pytest.raises(RollbackImpossible, match="records no earlier version") as refused:
        _rollback_point([passed("1-only", {"get": "1"})], {"get": "1"}, None)

    assert refused.value.hint == "nothing to roll back to; deploy a fix instead"


def test_promoting_an_environment_to_itself_is_refused_before_anything_runs() -> None:
    with pytest.raises(PromotionRefused, match="--from and --to are both 'dev'"):
        promote("location", "dev", "dev")


@pytest.mark.emulator
def test_only_a_passing_last_execution_with_this_checkouts_infra_is_promotable(bucket_target: Target) -> None:
    service = load_service("location")
    ledger = Ledger(bucket_target)
    matching = service_infra_hash(bucket_target, service)

    with pytest.raises(PromotionRefused, match="location has never been deployed to local"):
        _promotable(service, bucket_target, ledger)
    ledger.record(passed("1-good", {"get": "1"}, environment="local", artifact_sha256="a" * 64, infra_hash=matching))
    assert _promotable(service, bucket_target, ledger).execution_id == "1-good"
    ledger.record(passed("2-other-infra", {"get": "2"}, environment="local", artifact_sha256="b" * 64,
                         infra_hash="elsewhere", started_at=2e9))
    with pytest.raises(PromotionRefused, match=r"infra inputs in this checkout differ from those that passed in local \(execution 2-other-infra, commit cccccccccccc\)"):
        _promotable(service, bucket_target, ledger)
    ledger.record(passed("3-failed", {}, environment="local", artifact_sha256="c" * 64, infra_hash=matching,
                         result="failed", error="verify: smoke failed\nlogs", started_at=3e9))
    with pytest.raises(PromotionRefused, match=r"last execution in local \(3-failed\) did not pass: failed \(verify: smoke failed\)$"):
        _promotable(service, bucket_target, ledger)


@pytest.mark.emulator
def test_the_promoted_artifact_is_the_stored_one_checked_by_its_digest(bucket_target: Target, tmp_path: Path) -> None:
    service = load_service("location")
    body = b"the artifact that passed"
    sha256 = hashlib.sha256(body).hexdigest()
    s3 = bucket_target.client("s3", Identity.OPS)
    bucket = bucket_target.environment.artifact_bucket
    s3.put_object(Bucket=bucket, Key=artifact_key("location", sha256), Body=body)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()

    fetched = _fetch_artifact(bucket_target, service, passed("1", {}, artifact_sha256=sha256), tmp_path / "one")
    s3.put_object(Bucket=bucket, Key=artifact_key("location", sha256), Body=b"changed after it passed")

    assert (fetched.sha256, fetched.path.read_bytes()) == (sha256, body)
    with pytest.raises(PromotionRefused, match=f"has SHA-256 [0-9a-f]{{64}}, not {sha256}"):
        _fetch_artifact(bucket_target, service, passed("1", {}, artifact_sha256=sha256), tmp_path / "two")
    with pytest.raises(PromotionRefused, match="cannot be read"):
        _fetch_artifact(bucket_target, service, passed("2", {}, artifact_sha256="0" * 64), tmp_path / "two")
