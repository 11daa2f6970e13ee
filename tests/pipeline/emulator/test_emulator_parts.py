"""The emulator's parts that run without a server: the Lambda bootstrap's one invocation, artifact
extraction, the moto version the patches were checked on, and the server's arguments."""

from __future__ import annotations

import inspect
import io
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import moto
import pytest

from pipeline.emulator import compat, lambda_bootstrap, lambda_runtime, server

HANDLERS = """
def answer(event, context):
    return {"event": event, "function": context.function_name, "left": context.get_remaining_time_in_millis() > 0}

def fail(event, context):
    raise KeyError("missing " + event["want"])

def unmarshallable(event, context):
    return {1, 2}
"""


@pytest.fixture
def function(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What the runtime hands the bootstrap: the artifact on the path and Lambda's variables."""
    (tmp_path / "probe_handlers.py").write_text(HANDLERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name, value in {
        "AWS_LAMBDA_FUNCTION_NAME": "local-probe-fn", "AWS_LAMBDA_FUNCTION_VERSION": "3",
        "_LAMBDA_INVOKED_ARN": "arn:aws:lambda:us-east-1:123456789012:function:local-probe-fn:live",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "_LAMBDA_REQUEST_ID": "req-1",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/local-probe-fn", "AWS_LAMBDA_LOG_STREAM_NAME": "s",
        "_LAMBDA_DEADLINE_MS": str(2**41),
    }.items():
        monkeypatch.setenv(name, value)
    yield
    sys.modules.pop("probe_handlers", None)


def use_handler(monkeypatch: pytest.MonkeyPatch, handler: str) -> None:
    monkeypatch.setenv("_HANDLER", handler)


def test_the_handler_gets_the_event_and_lambdas_context(function: None, monkeypatch: pytest.MonkeyPatch) -> None:
    use_handler(monkeypatch, "probe_handlers.answer")

    assert lambda_bootstrap.invoke({"a": 1}) == (True, {"event": {"a": 1}, "function": "local-probe-fn", "left": True})


@pytest.mark.parametrize(("handler", "error_type", "message"), [
    ("probe_handlers.fail", "KeyError", "'want'"),
    ("probe_handlers.unmarshallable", "Runtime.MarshalError", "Unable to marshal response"),
    ("probe_handlers.absent", "Runtime.HandlerNotFound", "Handler 'absent' missing on module 'probe_handlers'"),
    ("no_such_module.handler", "Runtime.ImportModuleError", "Unable to import module 'no_such_module'"),
])
def test_failures_are_lambdas_error_payloads(
    function: None, monkeypatch: pytest.MonkeyPatch, handler: str, error_type: str, message: str
) -> None:
    use_handler(monkeypatch, handler)

    ok, payload = lambda_bootstrap.invoke({})

    assert not ok
    assert payload["errorType"] == error_type and message in payload["errorMessage"]
    assert payload["requestId"] == "req-1"


def test_an_artifact_is_extracted_once_per_content(local_dir: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pkg/handler.py", "X = 1\n")

    first = lambda_runtime.code_dir(buffer.getvalue())
    (first / "pkg" / "marker").write_text("kept")
    again = lambda_runtime.code_dir(buffer.getvalue())

    assert again == first and (again / "pkg" / "handler.py").read_text() == "X = 1\n"
    assert (again / "pkg" / "marker").is_file()


def test_a_timeout_is_reported_as_lambda_does() -> None:
    assert lambda_runtime.timed_out("req-1", 3) == {
        "errorType": "Sandbox.Timedout", "errorMessage": "RequestId: req-1 Error: Task timed out after 3.00 seconds",
    }


def test_the_patches_refuse_a_moto_they_were_not_checked_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto, "__version__", "0.0.1")

    with pytest.raises(RuntimeError, match=r"moto 0.0.1 is not one the emulator patches were checked against"):
        compat.apply_all()


def test_every_patch_named_as_a_fact_is_applied() -> None:
    facts = {name for name, value in vars(compat).items() if inspect.isfunction(value)
             and value.__module__ == compat.__name__ and not inspect.signature(value).parameters}

    assert facts - {"apply_all"} == {patch.__name__ for patch in compat.PATCHES}


def test_the_server_needs_its_port(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["server"])

    with pytest.raises(SystemExit) as exited:
        server.main()

    assert exited.value.code == 2 and "--port" in capsys.readouterr().err
