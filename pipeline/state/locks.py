"""A per-service deploy lock held in the environment, so two deploys of a service never overlap.

The lock is an object `locks/<service>.json` in the artifact bucket, created with a conditional
put (`If-None-Match: *`): S3 lets exactly one writer create it. It names its holder, so a
waiting deploy can say whom it waits for.

While held, a background thread rewrites the object every DEPLOY_LOCK_HEARTBEAT_SECONDS (default
10) with `If-Match` on the ETag it last wrote. A holder that stops refreshing (killed, machine
gone) leaves a lock whose last write is older than STALE_AFTER_BEATS of its announced interval,
judged by S3's own clock (the object's LastModified against the response's Date), so clock skew
between machines does not matter. A waiter then takes it over with `If-Match` on the ETag it read:
of two waiters, only one write matches. Releasing is conditional too, so a holder that lost its
lock never deletes its successor's.
"""

from __future__ import annotations

import email.utils
import getpass
import json
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

from pipeline.aws import Identity, Target
from pipeline.errors import DeployLocked, InvalidSetting
from pipeline.project.environments import Environment

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_s3 import S3Client

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_s3 import S3Client

PREFIX = "locks"
POLL_SECONDS = 1.0
LOCK_TIMEOUT_S = 900.0  # how long a deploy waits for another deploy of the service by default
HEARTBEAT_VARIABLE = "DEPLOY_LOCK_HEARTBEAT_SECONDS"
DEFAULT_HEARTBEAT_SECONDS = 10.0
STALE_AFTER_BEATS = 6


@dataclass(frozen=True)
class LockHolder:
    who: str
    since: float
    execution_id: str
    heartbeat: float = 0.0  # the holder's clock at its last refresh (for people; staleness uses S3's clock)
    heartbeat_seconds: float = 0.0  # how often the holder refreshes; 0 in locks written before heartbeats

    def describe(self) -> str:
        started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.since))
        return f"{self.who} since {started} (execution {self.execution_id})"


@dataclass(frozen=True)
class HeldLock:
    """A lock as read from S3: its holder, the ETag to write over it, and how long it has been silent."""

    holder: LockHolder
    etag: str
    silent_s: float  # seconds since its last write, by S3's clock

    def stale_after_s(self, own_heartbeat_s: float) -> float:
        """Silence that makes this lock stale: STALE_AFTER_BEATS of the holder's interval (ours if it named none)."""
        return STALE_AFTER_BEATS * (self.holder.heartbeat_seconds or own_heartbeat_s)

    def is_stale(self, own_heartbeat_s: float) -> bool:
        return self.silent_s > self.stale_after_s(own_heartbeat_s)


def heartbeat_seconds() -> float:
    """DEPLOY_LOCK_HEARTBEAT_SECONDS, else 10. Raises InvalidSetting unless a positive, finite number."""
    text = os.environ.get(HEARTBEAT_VARIABLE, "")
    if not text:
        return DEFAULT_HEARTBEAT_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise InvalidSetting(
            f"{HEARTBEAT_VARIABLE} must be a positive number of seconds, not {text!r}",
            f"unset it (default {DEFAULT_HEARTBEAT_SECONDS:.0f}s) or set it like {HEARTBEAT_VARIABLE}=10",
        )
    return value


def lock_key(service: str) -> str:
    return f"{PREFIX}/{service}.json"


def _is_taken(err: ClientError) -> bool:
    """A conditional write lost: the object exists (If-None-Match), changed or vanished (If-Match)."""
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = err.response.get("Error", {}).get("Code")
    return code in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey") or status in (409, 412)


def _body(holder: LockHolder) -> bytes:
    return json.dumps(asdict(holder)).encode()


def read_lock(s3: S3Client, bucket: str, service: str) -> HeldLock | None:
    """The lock on `service`, or None when nobody holds it."""
    try:
        response = s3.get_object(Bucket=bucket, Key=lock_key(service))
    except s3.exceptions.NoSuchKey:
        return None
    try:
        holder = LockHolder(**json.loads(response["Body"].read()))
    except (ValueError, TypeError):  # written by hand or by a foreign tool: still stale-able and unlockable
        holder = LockHolder("an unreadable lock object", 0.0, "unknown")
    date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    now = email.utils.parsedate_to_datetime(date).timestamp() if date else time.time()
    return HeldLock(holder, response["ETag"], max(0.0, now - response["LastModified"].timestamp()))


class _Heartbeat:
    """Rewrites the lock every `interval_s` while the holder lives; stops for good once the lock is lost."""

    def __init__(self, s3: S3Client, bucket: str, service: str, holder: LockHolder, etag: str, interval_s: float) -> None:
        self._s3, self._bucket, self._service = s3, bucket, service
        self._holder, self.etag, self._interval_s = holder, etag, interval_s
        self.lost = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lock-heartbeat-{service}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        while not self._stopped.wait(self._interval_s):
            beat = replace(self._holder, heartbeat=time.time())
            try:
                self.etag = self._s3.put_object(
                    Bucket=self._bucket, Key=lock_key(self._service), Body=_body(beat), IfMatch=self.etag,
                )["ETag"]
            except ClientError as err:
                if _is_taken(err):  # taken over or force-unlocked: never write over the new holder
                    self.lost = True
                    return
            except BotoCoreError:
                pass  # a missed beat; the next one retries well before the lock turns stale

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()


def _acquire(
    s3: S3Client, environment: Environment, service: str, mine: LockHolder, timeout_s: float,
    on_wait: Callable[[LockHolder], None], on_takeover: Callable[[HeldLock], None], still_wanted: Callable[[], None],
) -> str:
    """Create the lock, or take it over once stale; returns the ETag written. Raises DeployLocked at the timeout."""
    from botocore.exceptions import ClientError

    bucket = environment.artifact_bucket
    deadline = time.monotonic() + timeout_s
    told = ""
    while True:
        try:
            return str(s3.put_object(Bucket=bucket, Key=lock_key(service), Body=_body(mine), IfNoneMatch="*")["ETag"])
        except ClientError as err:
            if not _is_taken(err):
                raise
        held = read_lock(s3, bucket, service)
        if held is not None and held.is_stale(mine.heartbeat_seconds):
            try:
                etag = s3.put_object(Bucket=bucket, Key=lock_key(service), Body=_body(mine), IfMatch=held.etag)["ETag"]
            except ClientError as err:
                if not _is_taken(err):
                    raise
            else:
                on_takeover(held)
                return str(etag)
        if held is not None and held.holder.execution_id != told:
            on_wait(held.holder)
            told = held.holder.execution_id
        if time.monotonic() >= deadline:
            who = held.holder.describe() if held else "another deploy"
            raise DeployLocked(
                f"{service} is being deployed by {who}; gave up after {timeout_s:.0f}s",
                f"wait for it to finish (a crashed deploy's lock turns stale after "
                f"{STALE_AFTER_BEATS} missed heartbeats and is taken over); to release s3://{bucket}/{lock_key(service)} "
                f"now: deploy.py unlock --service {service} --env {environment.name}",
            )
        time.sleep(POLL_SECONDS)
        still_wanted()


@contextmanager
def service_lock(
    target: Target, service: str, execution_id: str, timeout_s: float, on_wait: Callable[[LockHolder], None],
    still_wanted: Callable[[], None] = lambda: None, on_takeover: Callable[[HeldLock], None] = lambda held: None,
) -> Iterator[LockHolder]:
    """Hold `service`'s lock in the environment for the block, refreshed by a heartbeat; released afterwards.

    Waits while another deploy holds it, calling `on_wait` once per holder and `still_wanted`
    before every retry (it raises to stop waiting). A stale lock is taken over, calling
    `on_takeover` with it. Raises DeployLocked naming the holder after `timeout_s`, InvalidSetting
    for a bad DEPLOY_LOCK_HEARTBEAT_SECONDS.
    """
    interval_s = heartbeat_seconds()
    s3 = target.client("s3", Identity.DEPLOYER)
    bucket = target.environment.artifact_bucket
    now = time.time()
    mine = LockHolder(f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}", now, execution_id, now, interval_s)
    etag = _acquire(s3, target.environment, service, mine, timeout_s, on_wait, on_takeover, still_wanted)
    heartbeat = _Heartbeat(s3, bucket, service, mine, etag, interval_s)
    try:
        yield mine
    finally:
        heartbeat.stop()
        if not heartbeat.lost:
            _release(s3, bucket, service, heartbeat.etag)


def _release(s3: S3Client, bucket: str, service: str, etag: str) -> None:
    """Delete the lock if it is still the one we wrote (If-Match), else leave the new holder's in place."""
    from botocore.exceptions import ClientError

    try:
        s3.delete_object(Bucket=bucket, Key=lock_key(service), IfMatch=etag)
    except ClientError as err:
        if not _is_taken(err):
            raise


def force_unlock(target: Target, service: str) -> HeldLock | None:
    """Delete `service`'s lock whoever holds it; returns what was held, or None when it was free.

    Raises DeployLocked when the lock changed between reading and deleting it (its holder just
    refreshed it, or a deploy just took it): run again to release that one.
    """
    from botocore.exceptions import ClientError

    s3 = target.client("s3", Identity.DEPLOYER)
    bucket = target.environment.artifact_bucket
    held = read_lock(s3, bucket, service)
    if held is None:
        return None
    try:
        s3.delete_object(Bucket=bucket, Key=lock_key(service), IfMatch=held.etag)
    except ClientError as err:
        if not _is_taken(err):
            raise
        raise DeployLocked(
            f"{service}'s lock changed while it was being released (held by {held.holder.describe()})",
            "its holder is alive and refreshing it; run unlock again if you are sure it must go",
        ) from None
    return held
