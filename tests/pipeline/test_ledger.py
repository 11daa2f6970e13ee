"""The deploy ledger: how an execution starts, passes and fails, and its heads (each service's base for
change detection) against the real emulator."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import asdict, replace

import pytest

from pipeline.aws import Target
from pipeline.state.ledger import Ledger, LedgerEntry, LedgerHead, StageRecord, version_labels


@pytest.fixture
def ledger(bucket_target: Target) -> Ledger:
    return Ledger(bucket_target)


def test_an_execution_starts_running_and_passes_or_fails_once_with_its_stages() -> None:
    before = time.time()
    running = LedgerEntry.start("alpha", "dev", "c" * 40, True, kind="promote", origin="qa:1", artifact_sha256="ab")
    stage = StageRecord.ended("deploy", "succeeded", running.started_at, "live -> echo@2")

    passed = running.succeed((stage,))
    failed = running.fail((stage,), "verify: the smoke event failed\nits logs say why")

    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}", running.execution_id)
    assert (running.result, running.finished_at, running.stages) == ("running", 0.0, ())
    assert before <= running.started_at <= passed.finished_at and 0 <= stage.seconds <= time.time() - before
    assert (running.kind, running.origin, running.artifact_sha256) == ("promote", "qa:1", "ab")
    assert (passed.result, passed.stages, passed.error) == ("succeeded", (stage,), "")
    assert (failed.result, failed.error) == ("failed", "verify: the smoke event failed\nits logs say why")
    assert passed.execution_id == failed.execution_id == running.execution_id
    assert LedgerEntry.start("alpha", "dev", "", False, execution_id="given").execution_id == "given"
    assert LedgerEntry.start("alpha", "dev", "", False).execution_id != running.execution_id


def test_an_entry_survives_its_json_form() -> None:
    entry = LedgerEntry.start("alpha", "dev", "c" * 40, True).succeed(
        (StageRecord("test", "succeeded", 1.5, "3 passed", 10.0), StageRecord("deploy", "skipped", 0.0)),
    )

    assert LedgerEntry.from_json(json.loads(json.dumps(asdict(replace(entry, versions={"a": "2"}))))) == replace(
        entry, versions={"a": "2"}
    )


def test_version_labels_are_sorted_function_at_version() -> None:
    assert version_labels({"put": "3", "get": "12"}) == "get@12, put@3"
    assert version_labels({}) == ""


def execution(service: str, commit: str, result: str, finished_at: float, from_commit: bool = True) -> LedgerEntry:
    return LedgerEntry(
        execution_id=f"{finished_at:.0f}-{service}", service=service, environment="local", commit=commit,
        from_commit=from_commit, result=result, started_at=finished_at - 1, finished_at=finished_at,
    )


@pytest.mark.emulator
def test_heads_follow_successes_only(ledger: Ledger) -> None:
    ledger.record(execution("alpha", "a" * 40, "succeeded", 100))
    ledger.record(execution("alpha", "b" * 40, "failed", 200))
    ledger.record(execution("beta", "c" * 40, "succeeded", 150, from_commit=False))
    ledger.record(execution("beta", "d" * 40, "succeeded", 250))

    assert ledger.heads() == {"alpha": LedgerHead("a" * 40, True), "beta": LedgerHead("d" * 40, True)}
    assert [e.result for e in ledger.executions("alpha")] == ["succeeded", "failed"]


@pytest.mark.emulator
def test_an_uncommitted_deploy_is_a_head_that_is_not_from_a_commit(ledger: Ledger) -> None:
    ledger.record(execution("gamma", "e" * 40, "succeeded", 100, from_commit=False))

    assert ledger.heads() == {"gamma": LedgerHead("e" * 40, False)}


@pytest.mark.emulator
def test_an_environment_without_a_ledger_has_no_heads(local_target: Target) -> None:
    missing = replace(local_target.environment, artifact_bucket=f"test-missing-{uuid.uuid4().hex[:8]}")

    assert Ledger(replace(local_target, environment=missing)).heads() == {}


@pytest.mark.emulator
def test_a_fresh_environment_without_buckets_has_an_empty_history(local_target: Target) -> None:
    fresh = replace(local_target, environment=replace(local_target.environment, artifact_bucket=f"never-{uuid.uuid4().hex[:8]}"))
    assert Ledger(fresh).history() == [] and Ledger(fresh).executions("location") == []


@pytest.mark.emulator
def test_unlocks_show_in_the_history_but_are_not_executions(ledger: Ledger) -> None:
    service = f"svc-{uuid.uuid4().hex[:6]}"
    ran = execution(service, "c1", "succeeded", 1.0)
    unlocked = replace(execution(service, "c1", "released", 2.0), execution_id="unlock-1", kind="unlock", started_at=2.0)
    ledger.record(ran)
    ledger.record_unlock(unlocked)
    assert [entry.execution_id for entry in ledger.history(service)] == [ran.execution_id, "unlock-1"]
    assert [entry.execution_id for entry in ledger.executions(service)] == [ran.execution_id]
    assert ledger.last_success(service) == ran
