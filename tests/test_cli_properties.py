"""Property test: whatever arguments the CLI gets, it ends with 0, 1 or 2 and never a traceback.

Every subcommand is driven through `cli.main.main` with generated arguments: hostile strings,
numbers, unknown flags, known flags with wrong values. The environments it may name are all
unreachable in a way that fails fast: `local` is an external endpoint on a closed loopback port
(so no emulator is ever started) and `dev` is AWS through profiles this machine does not have.
Left out, because they would do real, slow work whatever the arguments: `emulator start`,
`toolchain lock` and `deps lock` (rewrite lock files), `modules docs` (rewrites module READMEs), `watch` and
`logs --follow` (run until Ctrl-C), `remove --yes`, `scan` (checkov), `stage test` and `stage package` (run a
service's tests, build an artifact) and `new-service` with a valid new name (writes services/).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cli.main import main
from pipeline.project.services import service_names
from tests.conftest import write_unreachable_environments

SERVICES = service_names()
SERVICE_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")

hostile = st.one_of(
    st.sampled_from([
        "", " ", "-", "--", "-1", "0", "1", "65536", "99999", "1e9", "nan", "inf", "-inf", "0x10", "١", "..", "../x",
        "a/b", "location", "profile", "local", "dev", "prod", "nope", "x" * 300, "$(id)", "'; --", "\n", "a\nb",
        "\u202e", "🙂", "--help", "--env", "HEAD", "HEAD~999", "-rf", "{}", "null",
    ]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=24),  # argv holds no NUL
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats().map(str),
)
unknown_flags = st.sampled_from(["--bogus", "-x", "--servic", "--env=", "--jobs=", "---", "--port"])


def plausible(*values: str) -> st.SearchStrategy[str]:
    """Half the time a value the option takes, half the time anything."""
    return st.one_of(st.sampled_from(values), hostile)


def numbers(low: int, high: int) -> st.SearchStrategy[str]:
    return st.one_of(st.integers(low, high).map(str), st.floats(allow_nan=True).map(str), hostile)


VALUES = {
    "--service": plausible(*SERVICES), "--env": plausible("local", "dev"), "--from": plausible("local", "dev"),
    "--to": plausible("local", "dev", "20260101T000000Z-0123abcd"), "--jobs": numbers(-2, 4),
    "--lock-timeout": numbers(-1, 5), "--port": numbers(-1, 70000), "--execution": plausible("gh-1-1"),
    "--since": plausible("HEAD", "HEAD~1"), "--function": plausible("get_location", "put_location"),
    "--event": plausible("missing.json", "."), "--artifact": plausible("missing.zip"), "--out": plausible("dist"),
    "--format": plausible("mermaid", "dot", "svg"), "--correlation-id": plausible("3f2a9c1e-7b4d-4e8a-9c0f-1d2e3f4a5b6c"),
}


def command(name: str, positional: st.SearchStrategy[str] | None, required: list[str], optional: list[str],
            switches: list[str] = []) -> st.SearchStrategy[list[str]]:
    """`name`, its positional and required options (each sometimes left out), optional ones and switches,
    and now and then an unknown flag or a stray value."""
    def maybe(values: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
        return st.one_of(values, values, values, st.just([]))  # left out a quarter of the time

    parts = [maybe(positional.map(lambda value: [value])) if positional is not None else st.just([])]
    parts += [maybe(VALUES[flag].map(lambda value, flag=flag: [flag, value])) for flag in required]
    choices = [*(VALUES[flag].map(lambda value, flag=flag: [flag, value]) for flag in optional),
               *(st.just([switch]) for switch in switches)]
    extras = st.lists(st.one_of(*choices), max_size=3) if choices else st.just([])
    junk = st.one_of(st.just([]), st.just([]), st.just([]), unknown_flags.map(lambda flag: [flag]),
                     hostile.map(lambda value: [value]))
    return st.tuples(*parts, extras, junk).map(
        lambda made: [name, *(arg for part in made[:-2] for arg in part),
                      *(arg for option in made[-2] for arg in option), *made[-1]]
    )


def invalid_or_taken_name(text: str) -> bool:
    return not SERVICE_NAME.fullmatch(text) or text in SERVICES


ARGUMENTS = st.one_of(
    command("deploy", None, ["--service"], ["--service", "--env", "--jobs", "--lock-timeout"], ["--changed", "--json"]),
    command("changed", None, [], ["--env", "--since"], ["--json"]),
    command("history", None, [], ["--service", "--env"], ["--json"]),
    command("promote", None, ["--service", "--from", "--to"], []),
    command("rollback", None, ["--service"], ["--env", "--to"]),
    command("stage", plausible("deploy", "verify").filter(lambda s: s not in ("test", "package")), ["--service"],
            ["--env", "--artifact", "--execution", "--out"]),
    command("emulator", plausible("stop", "status").filter(lambda s: s != "start"), [], []),
    command("invoke", None, ["--service", "--function"], ["--event", "--env"]),
    command("serve", None, [], ["--port", "--env"]),
    st.tuples(hostile.filter(invalid_or_taken_name), hostile).map(
        lambda made: ["new-service", "--name", made[0], "--description", made[1]]),
    command("drift", None, [], ["--service", "--env"], ["--reconcile"]),
    command("state", plausible("push"), ["--service"], ["--env"]),
    command("unlock", None, ["--service"], ["--env"]),
    command("bootstrap", None, [], ["--env"]),
    command("pipelines", plausible("triggers", "apply"), [], ["--env"]),
    command("iam", plausible("plan", "apply"), [], ["--env"]),
    command("toolchain", plausible("check").filter(lambda s: s != "lock"), [], []),
    command("deps", plausible("check").filter(lambda s: s != "lock"), [], [], ["--upgrade"]),
    command("logs", None, [], ["--service", "--correlation-id", "--function", "--since", "--env"], ["--json"]),
    command("status", None, [], ["--env", "--service"], ["--json"]),
    command("graph", None, [], ["--format", "--since", "--out", "--env"], ["--changed"]),
    command("remove", None, ["--service"], ["--env", "--lock-timeout"]),
    command("alerts", plausible("apply"), [], ["--env"]),
    hostile.map(lambda value: [value]),
).flatmap(lambda argv: st.sampled_from([argv, ["--debug", *argv]]))


@pytest.fixture(scope="module")
def unreachable_environments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("cli-properties")
    environments = write_unreachable_environments(folder / "environments.toml")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEPLOY_ENVIRONMENTS_FILE", str(environments))
        patch.setenv("DEPLOY_LOCAL_DIR", str(folder / "local"))
        patch.chdir(folder)  # relative paths (--out, --event) land here
        yield folder


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(argv=ARGUMENTS)
def test_any_arguments_end_in_0_1_or_2_without_a_traceback(
    unreachable_environments: Path, signal_handlers_restored: None, argv: list[str]
) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    output = out.getvalue() + err.getvalue()
    event(f"exit {code}")  # --hypothesis-show-statistics: how many runs got past the parser
    assert code in (0, 1, 2), f"deploy.py {argv} exited {code}:\n{output}"
    assert "unexpected failure" not in output, output
    if argv[:1] != ["--debug"]:  # --debug shows the traceback of every error, by design
        assert "Traceback" not in output, output
    assert not (unreachable_environments / "local" / "emulator").exists(), "no emulator may be started"
