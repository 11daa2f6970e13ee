"""Invoking a deployed function: the event read from a file, and what is refused before any request."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InvocationError
from pipeline.stages.invoke import invoke_function, read_event


def test_no_event_file_sends_an_empty_object() -> None:
    assert read_event(None) == b"{}"


def test_an_event_file_is_sent_byte_for_byte(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_bytes(b'{"id":  "x"}\n')

    assert read_event(event) == b'{"id":  "x"}\n'


def test_a_missing_or_broken_event_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvocationError, match=r"cannot read event file .*missing.json: No such file") as missing:
        read_event(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{'single': 'quotes'}")
    with pytest.raises(InvocationError, match=r"event file .*broken.json is not JSON"):
        read_event(broken)

    assert missing.value.hint == "pass --event with a JSON file"


def test_a_function_the_manifest_lacks_is_refused_with_the_ones_it_has() -> None:
    with pytest.raises(InvocationError, match="service authentication has no function 'nope'") as refused:
        invoke_function("authentication", "nope", b"{}", "dev")

    assert refused.value.hint == "its functions: create_user, issue_token, verify_token"
