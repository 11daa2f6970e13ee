"""The deploy ledger's heads (each service's base for change detection), against the real emulator."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from pipeline.aws import Identity, Target
from pipeline.state.ledger import Ledger, LedgerEntry, LedgerHead


@pytest.fixture
def ledger(local_target: Target) -> Ledger:
    bucket = f"test-ledger-{uuid.uuid4().hex[:8]}"
    local_target.client("s3", Identity.OPS).create_bucket(Bucket=bucket)
    return Ledger(replace(local_target, environment=replace(local_target.environment, artifact_bucket=bucket)))


def execution(service: str, commit: str, result: str, finished_at: float, from_commit: bool = True) -> LedgerEntry:
    return LedgerEntry(
        execution_id=f"{finished_at:.0f}-{service}", service=service, environment="local", commit=commit,
        from_commit=from_commit, result=result, started_at=finished_at - 1, finished_at=finished_at,
    )


def test_heads_follow_successes_only(ledger: Ledger) -> None:
    ledger.record(execution("alpha", "a" * 40, "succeeded", 100))
    ledger.record(execution("alpha", "b" * 40, "failed", 200))
    ledger.record(execution("beta", "c" * 40, "succeeded", 150, from_commit=False))
    ledger.record(execution("beta", "d" * 40, "succeeded", 250))

    assert ledger.heads() == {"alpha": LedgerHead("a" * 40, True), "beta": LedgerHead("d" * 40, True)}
    assert [e.result for e in ledger.executions("alpha")] == ["succeeded", "failed"]


def test_an_uncommitted_deploy_is_a_head_that_is_not_from_a_commit(ledger: Ledger) -> None:
    ledger.record(execution("gamma", "e" * 40, "succeeded", 100, from_commit=False))

    assert ledger.heads() == {"gamma": LedgerHead("e" * 40, False)}


def test_an_environment_without_a_ledger_has_no_heads(local_target: Target) -> None:
    missing = replace(local_target.environment, artifact_bucket=f"test-missing-{uuid.uuid4().hex[:8]}")

    assert Ledger(replace(local_target, environment=missing)).heads() == {}


def test_a_fresh_environment_without_buckets_has_an_empty_history(local_target: Target) -> None:
    fresh = replace(local_target, environment=replace(local_target.environment, artifact_bucket=f"never-{uuid.uuid4().hex[:8]}"))
    assert Ledger(fresh).history() == [] and Ledger(fresh).executions("location") == []


def test_unlocks_show_in_the_history_but_are_not_executions(ledger: Ledger) -> None:
    service = f"svc-{uuid.uuid4().hex[:6]}"
    ran = execution(service, "c1", "succeeded", 1.0)
    unlocked = replace(execution(service, "c1", "released", 2.0), execution_id="unlock-1", kind="unlock", started_at=2.0)
    ledger.record(ran)
    ledger.record_unlock(unlocked)
    assert [entry.execution_id for entry in ledger.history(service)] == [ran.execution_id, "unlock-1"]
    assert [entry.execution_id for entry in ledger.executions(service)] == [ran.execution_id]
    assert ledger.last_success(service) == ran
