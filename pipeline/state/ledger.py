"""The deploy ledger: every pipeline execution, stored in the environment's artifact bucket.

Kept in the environment rather than on a laptop so that two machines agree on what is deployed,
and a failed or interrupted deploy is retried next time. Layout under `ledger/<service>/`:
`executions/<execution id>.json` for every run and `last-success.json` for the newest passing one;
`unlocks/<id>.json` for every forced release of the service's deploy lock (kept apart from the
executions, which promote and verify read as "the newest run").
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # the records are read on the `changed` fast path, which must not load the AWS layer
    from pipeline.aws import Target

PREFIX = "ledger"
# One key per service names its last success (service.time.commit.origin/; service names have no dots),
# so a single listing reads every service's base.
HEADS_PREFIX = "ledger-heads"

ExecutionResult = Literal["running", "succeeded", "failed", "released"]  # released: a lock forced open by `unlock`
StageStatus = Literal["succeeded", "failed", "skipped"]
ExecutionKind = Literal["deploy", "promote", "rollback", "unlock"]


def new_execution_id() -> str:
    """A sortable, unique execution id: UTC time plus a random suffix."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]


def version_labels(versions: dict[str, str]) -> str:
    """`function@version` for each function, sorted, comma-separated: how history and notes name them."""
    return ", ".join(f"{function}@{version}" for function, version in sorted(versions.items()))


@dataclass(frozen=True)
class LedgerHead:
    """Where a service's last successful deploy came from: the base for change detection."""

    commit: str
    from_commit: bool


@dataclass(frozen=True)
class StageRecord:
    name: str
    status: StageStatus
    seconds: float
    detail: str = ""
    started_at: float = 0.0  # epoch seconds; 0 for a stage that never started (or an older record)

    @classmethod
    def ended(cls, name: str, status: StageStatus, started_at: float, detail: str = "") -> StageRecord:
        """A stage that started at `started_at` (epoch seconds) and ends now."""
        return cls(name, status, time.time() - started_at, detail, started_at)


@dataclass(frozen=True)
class LedgerEntry:
    execution_id: str
    service: str
    environment: str
    commit: str
    from_commit: bool  # False when uncommitted changes were deployed
    result: ExecutionResult  # running until its last stage ended
    started_at: float
    finished_at: float
    artifact_sha256: str = ""
    infra_hash: str = ""
    plan_sha256: str = ""
    stages: tuple[StageRecord, ...] = field(default_factory=tuple)
    error: str = ""
    versions: dict[str, str] = field(default_factory=dict)  # function -> version `live` served after it
    kind: ExecutionKind = "deploy"
    origin: str = ""  # promote: the source environment's execution; rollback: the execution restored;
    # unlock: the execution whose lock was released

    @classmethod
    def start(
        cls, service: str, environment: str, commit: str, from_commit: bool, *, execution_id: str = "",
        kind: ExecutionKind = "deploy", origin: str = "", artifact_sha256: str = "",
    ) -> LedgerEntry:
        """A `running` execution starting now, under `execution_id` or a new one."""
        return cls(
            execution_id=execution_id or new_execution_id(), service=service, environment=environment, commit=commit,
            from_commit=from_commit, result="running", started_at=time.time(), finished_at=0.0,
            artifact_sha256=artifact_sha256, kind=kind, origin=origin,
        )

    def succeed(self, stages: tuple[StageRecord, ...]) -> LedgerEntry:
        """This execution, passed now after `stages`."""
        return replace(self, result="succeeded", finished_at=time.time(), stages=stages)

    def fail(self, stages: tuple[StageRecord, ...], error: str) -> LedgerEntry:
        """This execution, failed now after `stages` with `error` (the full message)."""
        return replace(self, result="failed", finished_at=time.time(), stages=stages, error=error)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LedgerEntry:
        stages = tuple(StageRecord(**stage) for stage in data.pop("stages", []))
        return cls(stages=stages, **data)


class Ledger:
    """Reads and writes ledger entries as the deployer identity."""

    def __init__(self, target: Target) -> None:
        from pipeline.aws import Identity

        self._s3 = target.client("s3", Identity.DEPLOYER)
        self._bucket = target.environment.artifact_bucket

    def _read(self, key: str) -> LedgerEntry | None:
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except self._s3.exceptions.NoSuchKey:
            return None
        return LedgerEntry.from_json(json.loads(body))

    def execution(self, service: str, execution_id: str) -> LedgerEntry | None:
        """One recorded execution of `service`, if it exists."""
        return self._read(f"{PREFIX}/{service}/executions/{execution_id}.json")

    def last_success(self, service: str) -> LedgerEntry | None:
        """The newest execution of `service` that passed every stage, if any."""
        return self._read(f"{PREFIX}/{service}/last-success.json")

    def record(self, entry: LedgerEntry) -> None:
        """Store an execution; a passing one also becomes the service's last success."""
        body = json.dumps(asdict(entry), indent=2, sort_keys=True).encode()
        self._s3.put_object(
            Bucket=self._bucket, Key=f"{PREFIX}/{entry.service}/executions/{entry.execution_id}.json", Body=body
        )
        if entry.result == "succeeded":
            self._s3.put_object(Bucket=self._bucket, Key=f"{PREFIX}/{entry.service}/last-success.json", Body=body)
            self._move_head(entry)

    def _move_head(self, entry: LedgerEntry) -> None:
        origin = "committed" if entry.from_commit else "uncommitted"
        head = f"{entry.service}.{int(entry.finished_at * 1000):016d}.{entry.commit or 'none'}.{origin}"
        key = f"{HEADS_PREFIX}/{head}/"
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=b"")
        # Older heads go after the new one is in place; a reader seeing both takes the newest.
        listing = self._s3.list_objects_v2(Bucket=self._bucket, Prefix=f"{HEADS_PREFIX}/{entry.service}.")
        for item in listing.get("Contents", []):
            if item["Key"] < key:  # one at a time: DeleteObject is what the deployer is granted
                self._s3.delete_object(Bucket=self._bucket, Key=item["Key"])

    def heads(self) -> dict[str, LedgerHead]:
        """Every service's last successful deploy origin; {} before the first deploy.

        Heads are folder-like keys, so one delimited listing returns them as bare prefixes:
        parsing a thousand full object entries (dates, sizes) would cost half a second.
        """
        newest: dict[str, tuple[str, LedgerHead]] = {}
        paginator = self._s3.get_paginator("list_objects_v2")
        try:
            pages = list(paginator.paginate(Bucket=self._bucket, Prefix=f"{HEADS_PREFIX}/", Delimiter="/"))
        except self._s3.exceptions.NoSuchBucket:
            return {}
        for page in pages:
            for prefix in page.get("CommonPrefixes", []):
                service, stamp, commit, origin = prefix["Prefix"][len(HEADS_PREFIX) + 1 : -1].split(".")
                if service not in newest or stamp > newest[service][0]:
                    newest[service] = (stamp, LedgerHead("" if commit == "none" else commit, origin == "committed"))
        return {service: head for service, (_, head) in newest.items()}

    def record_unlock(self, entry: LedgerEntry) -> None:
        """Store a forced release of the service's deploy lock (an entry of kind "unlock")."""
        body = json.dumps(asdict(entry), indent=2, sort_keys=True).encode()
        self._s3.put_object(Bucket=self._bucket, Key=f"{PREFIX}/{entry.service}/unlocks/{entry.execution_id}.json", Body=body)

    def executions(self, service: str | None = None) -> list[LedgerEntry]:
        """Every recorded execution (of one service, if given), oldest first."""
        return self._entries(service, ("executions",))

    def history(self, service: str | None = None) -> list[LedgerEntry]:
        """Every execution and forced unlock (of one service, if given), oldest first."""
        return self._entries(service, ("executions", "unlocks"))

    def _entries(self, service: str | None, folders: tuple[str, ...]) -> list[LedgerEntry]:
        prefix = f"{PREFIX}/{service}/" if service else f"{PREFIX}/"
        try:
            pages = list(self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix))
        except self._s3.exceptions.NoSuchBucket:  # a fresh environment: nothing was deployed yet
            return []
        entries = []
        for page in pages:
            for item in page.get("Contents", []):
                if any(f"/{folder}/" in item["Key"] for folder in folders):
                    entry = self._read(item["Key"])
                    if entry is not None:
                        entries.append(entry)
        return sorted(entries, key=lambda entry: entry.started_at)
