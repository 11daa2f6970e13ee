"""The per-service deploy lock, against the suite's real emulator (conditional puts in S3)."""

from __future__ import annotations

import threading
import time

import pytest

from pipeline.aws import Identity, Target
from pipeline.errors import DeployLocked
from pipeline.state.locks import LockHolder, lock_key, service_lock

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
