"""A per-service deploy lock held in the environment, so two deploys of a service never overlap.

The lock is an object `locks/<service>.json` in the artifact bucket, created with a conditional
put (`If-None-Match: *`): S3 lets exactly one writer create it. It names its holder, so a
waiting deploy can say whom it waits for.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.aws import Identity, Target
from pipeline.errors import DeployLocked

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_s3 import S3Client

PREFIX = "locks"
POLL_SECONDS = 1.0
LOCK_TIMEOUT_S = 900.0  # how long a deploy waits for another deploy of the service by default


@dataclass(frozen=True)
class LockHolder:
    who: str
    since: float
    execution_id: str

    def describe(self) -> str:
        started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.since))
        return f"{self.who} since {started} (execution {self.execution_id})"


def lock_key(service: str) -> str:
    return f"{PREFIX}/{service}.json"


def _is_taken(err: ClientError) -> bool:
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return err.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict") or status in (409, 412)


def _holder(s3: S3Client, bucket: str, service: str) -> LockHolder | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=lock_key(service))["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return LockHolder(**json.loads(body))


@contextmanager
def service_lock(
    target: Target, service: str, execution_id: str, timeout_s: float, on_wait: Callable[[LockHolder], None],
    still_wanted: Callable[[], None] = lambda: None,
) -> Iterator[LockHolder]:
    """Hold `service`'s lock in the environment for the block; always released afterwards.

    Waits while another deploy holds it, calling `on_wait` once per holder and `still_wanted`
    before every retry (it raises to stop waiting). Raises DeployLocked naming the holder after
    `timeout_s`.
    """
    from botocore.exceptions import ClientError

    s3 = target.client("s3", Identity.DEPLOYER)
    bucket = target.environment.artifact_bucket
    mine = LockHolder(f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}", time.time(), execution_id)
    deadline = time.monotonic() + timeout_s
    told: LockHolder | None = None
    while True:
        try:
            s3.put_object(Bucket=bucket, Key=lock_key(service), Body=json.dumps(mine.__dict__).encode(), IfNoneMatch="*")
            break
        except ClientError as err:
            if not _is_taken(err):
                raise
        holder = _holder(s3, bucket, service)
        if holder is not None and holder != told:
            on_wait(holder)
            told = holder
        if time.monotonic() >= deadline:
            who = holder.describe() if holder else "another deploy"
            raise DeployLocked(
                f"{service} is being deployed by {who}; gave up after {timeout_s:.0f}s",
                f"wait for it to finish; if nothing is running, delete s3://{bucket}/{lock_key(service)}",
            )
        time.sleep(POLL_SECONDS)
        still_wanted()
    try:
        yield mine
    finally:
        s3.delete_object(Bucket=bucket, Key=lock_key(service))
