"""Progress while pipelines run: plain lines for logs, nothing for --json, a live table on a terminal."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any

from pipeline.state.ledger import StageRecord


class LineReporter:
    """Plain progress lines, one per stage event, readable in a terminal and in CI logs."""

    def stage_started(self, service: str, stage: str) -> None:
        print(f"[{service}] {stage} ...", flush=True)

    def stage_finished(self, service: str, record: StageRecord) -> None:
        detail = f": {record.detail}" if record.detail else ""
        print(f"[{service}] {record.name} {record.status} in {record.seconds:.1f}s{detail}", flush=True)

    def note(self, service: str, message: str) -> None:
        print(f"[{service}] {message}", flush=True)


class SilentReporter:
    """For --json: progress is not printed, the result is."""

    def stage_started(self, service: str, stage: str) -> None: ...
    def stage_finished(self, service: str, record: StageRecord) -> None: ...
    def note(self, service: str, message: str) -> None: ...


class TableReporter:
    """A live table on a terminal: one row per service, one column per stage."""

    def __init__(self, services: Sequence[str]) -> None:
        from rich.console import Console
        from rich.live import Live

        from pipeline.flows.execution import STAGES

        self._stages = STAGES
        self._cells: dict[str, dict[str, str]] = {name: dict.fromkeys(STAGES, "[dim]waiting[/]") for name in services}
        self._guard = threading.Lock()
        self._live = Live(self._table(), console=Console(), refresh_per_second=8)

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        table.add_column("service", style="bold")
        for stage in self._stages:
            table.add_column(stage)
        for service, cells in self._cells.items():
            table.add_row(service, *cells.values())
        return table

    def _set(self, service: str, stage: str, text: str) -> None:
        with self._guard:
            self._cells[service][stage] = text
            self._live.update(self._table())

    def __enter__(self) -> TableReporter:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def stage_started(self, service: str, stage: str) -> None:
        self._set(service, stage, "[yellow]running[/]")

    def stage_finished(self, service: str, record: StageRecord) -> None:
        style = {"succeeded": "green", "failed": "red"}.get(record.status, "dim")
        self._set(service, record.name, f"[{style}]{record.status} {record.seconds:.1f}s[/]")

    def note(self, service: str, message: str) -> None:
        self._live.console.print(f"[{service}] {message}", markup=False, highlight=False)


def wants_table(args: argparse.Namespace) -> bool:
    return not args.json and sys.stdout.isatty() and os.environ.get("CI", "").lower() != "true"
