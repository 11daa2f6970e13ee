"""The per-service deploy lock, against the suite's real emulator (conditional puts in S3), with its heartbeat."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict

import pytest

from pipeline.aws import Identity, Target
from pipeline.errors import DeployLocked, InvalidSetting
from pipeline.state.locks import (
    HEARTBEAT_VARIABLE,
    HeldLock,
    LockHolder,
    force_unlock,
    heartbeat_seconds,
    lock_key,
    read_lock,
    service_lock,
)

pytestmark = pytest.mark.emulator


def test_a_second_holder_waits_names_the_first_and_times_out(bucket_target: Target) -> None:
    seen: list[LockHolder] = []
    with service_lock(bucket_target, "alpha", "exec-1", 5, seen.append) as first:
        with pytest.raises(DeployLocked, match=r"alpha is being deployed by .*execution exec-1.*gave up after 1s"):
            with service_lock(bucket_target, "alpha", "exec-2", 1, seen.append):
                pytest.fail("the lock was taken twice")
    assert seen == [first]


def test_the_lock_is_released_when_the_block_fails(bucket_target: Target) -> None:
    with pytest.raises(RuntimeError):
        with service_lock(bucket_target, "beta", "exec-1", 5, lambda holder: None):
            raise RuntimeError("stage blew up")

    with service_lock(bucket_target, "beta", "exec-2", 0, lambda holder: None) as holder:
        assert holder.execution_id == "exec-2"


def test_a_waiting_deploy_proceeds_once_the_holder_finishes(bucket_target: Target) -> None:
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with service_lock(bucket_target, "gamma", "exec-1", 5, lambda holder: None):
            held.set()
            time.sleep(1.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(5)
    with service_lock(bucket_target, "gamma", "exec-2", 10, lambda holder: order.append("waited")):
        order.append("second in")
    thread.join()

    assert order == ["waited", "first done", "second in"]
    s3 = bucket_target.client("s3", Identity.OPS)
    assert s3.list_objects_v2(Bucket=bucket_target.environment.artifact_bucket, Prefix=lock_key("gamma")).get("KeyCount") == 0


def test_distinct_services_lock_independently(bucket_target: Target) -> None:
    with service_lock(bucket_target, "delta", "exec-1", 0, lambda holder: None):
        with service_lock(bucket_target, "epsilon", "exec-2", 0, lambda holder: None) as other:
            assert other.execution_id == "exec-2"


def _write_dead_holder(target: Target, service: str, heartbeat_s: float) -> LockHolder:
    """A lock as a killed deploy leaves it: written once, never refreshed."""
    dead = LockHolder("ci@gone pid 4242", time.time(), "exec-killed", time.time(), heartbeat_s)
    s3 = target.client("s3", Identity.OPS)
    s3.put_object(Bucket=target.environment.artifact_bucket, Key=lock_key(service), Body=json.dumps(asdict(dead)).encode())
    return dead


def _wait_until(condition: Callable[[], bool], limit_s: float = 20) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.1)


def _held(target: Target, service: str) -> HeldLock | None:
    return read_lock(target.client("s3", Identity.OPS), target.environment.artifact_bucket, service)


def test_the_holder_refreshes_its_heartbeat_while_it_lives(bucket_target: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HEARTBEAT_VARIABLE, "0.2")
    with service_lock(bucket_target, "zeta", "exec-1", 5, lambda holder: None) as mine:
        first = _held(bucket_target, "zeta")
        assert first is not None and first.holder.heartbeat_seconds == 0.2
        _wait_until(lambda: (held := _held(bucket_target, "zeta")) is not None and held.holder.heartbeat > mine.since)
        refreshed = _held(bucket_target, "zeta")
        assert refreshed is not None and refreshed.etag != first.etag
        assert not refreshed.is_stale(0.2)
    assert _held(bucket_target, "zeta") is None


def test_a_lock_whose_holder_stopped_refreshing_is_taken_over_saying_so(
    bucket_target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HEARTBEAT_VARIABLE, "0.2")
    dead = _write_dead_holder(bucket_target, "eta", 0.2)
    waited: list[LockHolder] = []
    taken: list[HeldLock] = []
    with service_lock(bucket_target, "eta", "exec-2", 30, waited.append, on_takeover=taken.append) as mine:
        held = _held(bucket_target, "eta")
        assert held is not None and held.holder.execution_id == mine.execution_id == "exec-2"
    assert [found.holder for found in taken] == [dead]
    assert taken[0].silent_s > taken[0].stale_after_s(0.2) == pytest.approx(6 * 0.2)
    assert waited in ([], [dead]), "it may wait for the lock to turn stale, naming the silent holder"


def test_a_live_holders_lock_is_never_taken_over(bucket_target: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HEARTBEAT_VARIABLE, "0.2")
    taken: list[HeldLock] = []
    with service_lock(bucket_target, "theta", "exec-1", 5, lambda holder: None):
        with pytest.raises(DeployLocked, match="theta is being deployed by .*execution exec-1"):
            with service_lock(bucket_target, "theta", "exec-2", 3, lambda holder: None, on_takeover=taken.append):
                pytest.fail("a refreshed lock was taken")
    assert taken == []


def test_of_two_takeovers_of_one_stale_lock_only_one_write_matches(bucket_target: Target) -> None:
    """The If-Match write both waiters make: the emulator, as S3, refuses the second."""
    from botocore.exceptions import ClientError

    _write_dead_holder(bucket_target, "iota", 0.2)
    held = _held(bucket_target, "iota")
    assert held is not None
    s3 = bucket_target.client("s3", Identity.DEPLOYER)
    bucket = bucket_target.environment.artifact_bucket
    s3.put_object(Bucket=bucket, Key=lock_key("iota"), Body=b'{"first": 1}', IfMatch=held.etag)
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key=lock_key("iota"), Body=b'{"second": 2}', IfMatch=held.etag)
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"


def test_a_holder_that_lost_its_lock_leaves_the_new_holders_in_place(
    bucket_target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HEARTBEAT_VARIABLE, "0.2")
    with service_lock(bucket_target, "kappa", "exec-1", 5, lambda holder: None):
        released = force_unlock(bucket_target, "kappa")
        assert released is not None and released.holder.execution_id == "exec-1"
        successor = _write_dead_holder(bucket_target, "kappa", 0.2)
    held = _held(bucket_target, "kappa")
    assert held is not None and held.holder == successor


def test_force_unlock_names_the_holder_and_frees_the_lock(bucket_target: Target) -> None:
    assert force_unlock(bucket_target, "lambda") is None
    dead = _write_dead_holder(bucket_target, "lambda", 10)
    released = force_unlock(bucket_target, "lambda")
    assert released is not None and released.holder == dead
    assert _held(bucket_target, "lambda") is None


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_heartbeat_setting_that_is_not_a_positive_number_is_refused(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HEARTBEAT_VARIABLE, value)
    with pytest.raises(InvalidSetting, match=f"{HEARTBEAT_VARIABLE} must be a positive number of seconds, not '{value}'"):
        heartbeat_seconds()


def test_an_unreadable_lock_is_named_as_such_and_can_be_released(bucket_target: Target) -> None:
    s3 = bucket_target.client("s3", Identity.OPS)
    s3.put_object(Bucket=bucket_target.environment.artifact_bucket, Key=lock_key("mu"), Body=b"not json")
    held = _held(bucket_target, "mu")
    assert held is not None and held.holder.who == "an unreadable lock object"
    released = force_unlock(bucket_target, "mu")
    assert released is not None and _held(bucket_target, "mu") is None
