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
    assert Ledger(replace(local_target, environment=missing)).executions() == []


def test_a_removed_service_has_no_head_or_last_success_but_keeps_its_records(ledger: Ledger) -> None:
    ledger.record(execution("delta", "f" * 40, "succeeded", 100))
    ledger.record(execution("omega", "a" * 40, "succeeded", 110))
    ledger.record_removal(replace(execution("delta", "", "succeeded", 200, from_commit=False), kind="remove"))

    assert ledger.heads() == {"omega": LedgerHead("a" * 40, True)}
    assert ledger.last_success("delta") is None
    assert [(e.kind, e.result) for e in ledger.executions("delta")] == [("deploy", "succeeded"), ("remove", "succeeded")]
    ledger.record(execution("delta", "b" * 40, "succeeded", 300))  # deployed again: a head again
    assert ledger.heads()["delta"] == LedgerHead("b" * 40, True)
