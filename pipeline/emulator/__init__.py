"""The embedded AWS emulator: a moto server on 127.0.0.1, started on demand and reused.

Its pid, port, the credentials it issued and its admin secret live in `<local dir>/emulator/`
(the secret and credentials in 0600 files). IAM enforcement is
on: the first three requests create the ops identity, and every later request must be signed by
an identity the emulator knows and be allowed by that identity's policies. Ops then create the
developer user, whose only permission is to assume deployer roles; its key never enters
Terraform state.

DEPLOY_EMULATOR_LAMBDA_UPDATE_SECONDS (read when the emulator starts; off by default, so local
deploys stay fast) keeps each Lambda code or configuration update in progress that long, as
Lambda does: the test suite turns it on to prove the pipeline waits before publishing.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import EmulatorError
from pipeline.paths import PROJECT_ROOT, local_dir

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

DEFAULT_PORT = 4566  # LocalStack's edge port: tools written for LocalStack find the emulator when it gets it
PORT_VARIABLE = "DEPLOY_EMULATOR_PORT"  # pins the port; 0 picks any free one
STARTUP_SECONDS = 30
OPS_USER = "ops-admin"
DEVELOPER_USER = "developer"
DEPLOYER_ROLES = "role/deployers/*"
LAMBDA_UPDATE_SECONDS = "DEPLOY_EMULATOR_LAMBDA_UPDATE_SECONDS"
# CreateUser, PutUserPolicy, CreateAccessKey: the unauthenticated requests that create ops.
_BOOTSTRAP_REQUESTS = 3


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None  # set for assumed-role credentials


@dataclass(frozen=True)
class Emulator:
    pid: int
    port: int
    started_at: float
    busy_port: int = 0  # the port it wanted but found taken when it started (0: it got the one it wanted)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def busy_port_note(self) -> str:
        """What to tell the user when the wanted port was taken, else ""."""
        if not self.busy_port:
            return ""
        return (f"port {self.busy_port} is busy (another emulator, LocalStack?), so the emulator listens on {self.port}; "
                f"free it (`ss -ltnp 'sport = :{self.busy_port}'` shows who holds it), pin another port with "
                f"{PORT_VARIABLE}=N, or point an environment's `endpoint` at what runs on {self.busy_port}")


def _state_dir() -> Path:
    return local_dir() / "emulator"


def _state_file() -> Path:
    return _state_dir() / "state.json"


def _credentials_file() -> Path:
    return _state_dir() / "credentials.json"


def _admin_secret_file() -> Path:
    return _state_dir() / "admin-secret"


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner can read, whatever the umask or an older file's mode."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        os.fchmod(descriptor, 0o600)
        file.write(text)


def admin_secret() -> str:
    """The secret the running emulator's admin API demands. Raises EmulatorError if it is missing."""
    try:
        return _admin_secret_file().read_text().strip()
    except FileNotFoundError:
        raise EmulatorError(
            "the emulator's admin secret is missing",
            "run `make emulator-stop` and deploy again to start a fresh emulator",
        ) from None


def admin_call(endpoint: str, path: str, body: Any) -> Any:
    """POST `body` as JSON to the emulator's admin API at `path`, with the secret; the JSON answer.

    Raises EmulatorError when the emulator refuses or cannot be reached.
    """
    from pipeline.emulator.admin import ADMIN_SECRET_HEADER

    request = urllib.request.Request(
        f"{endpoint}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", ADMIN_SECRET_HEADER: admin_secret()},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        raise EmulatorError(f"the emulator refused {path}: HTTP {err.code} {err.read()[:200]!r}",
                            "run `make emulator-stop` and deploy again to start a fresh emulator") from None
    except (urllib.error.URLError, OSError) as err:
        raise EmulatorError(f"the emulator did not answer {path}: {err}", "is it running? `make emulator`") from None


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the server will: a port whose old connections linger in TIME_WAIT is still free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wanted_port() -> int:
    """DEPLOY_EMULATOR_PORT, else 4566. Raises EmulatorError unless a port number (0: any free one)."""
    text = os.environ.get(PORT_VARIABLE) or str(DEFAULT_PORT)
    if not text.isdigit() or int(text) > 65535:
        raise EmulatorError(f"{PORT_VARIABLE} must be a port number (1-65535, or 0 for any free one), not {text!r}",
                            f"unset it (default {DEFAULT_PORT}) or set it like {PORT_VARIABLE}=4599")
    return int(text)


def _choose_port() -> tuple[int, int]:
    """The port to start on, and the wanted port it replaces because that one is busy (else 0)."""
    wanted = _wanted_port()
    if wanted and _port_free(wanted):
        return wanted, 0
    return _free_port(), wanted


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _pid_alive(pid: int) -> bool:
    """Whether `pid` is still our emulator (not a process that reused its pid, where /proc tells)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if Path("/proc/self").exists():
        try:
            return b"pipeline.emulator.server" in cmdline.read_bytes()
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recorded() -> Emulator | None:
    try:
        return Emulator(**json.loads(_state_file().read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return None


def current() -> Emulator | None:
    """The running emulator recorded in the local dir, or None if it is gone or never started."""
    emulator = _recorded()
    if emulator is not None and _pid_alive(emulator.pid) and _answers(emulator.endpoint):
        return emulator
    return None


def _issued(identity: str) -> Credentials:
    try:
        return Credentials(**json.loads(_credentials_file().read_text())[identity])
    except (FileNotFoundError, ValueError, TypeError, KeyError):
        raise EmulatorError(
            f"the emulator's {identity} credentials are missing",
            "run `make emulator-stop` and deploy again to start a fresh emulator",
        ) from None


def ops_credentials() -> Credentials:
    """The ops identity the running emulator issued. Raises EmulatorError if there is none."""
    return _issued("ops")


def developer_credentials() -> Credentials:
    """The developer user's key: it may only assume deployer roles. Raises EmulatorError if missing."""
    return _issued("developer")


def _create_user(iam: IAMClient, name: str, policy_name: str, statement: dict[str, str]) -> Credentials:
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name,
        PolicyName=policy_name,
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def _iam_client(endpoint: str, credentials: Credentials) -> IAMClient:
    import boto3

    return boto3.client(
        "iam", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=credentials.access_key_id, aws_secret_access_key=credentials.secret_access_key,
    )


def _create_ops_identity(endpoint: str) -> Credentials:
    # Unsigned-in-effect: these first requests are the ones the emulator lets through unchecked.
    iam = _iam_client(endpoint, Credentials("bootstrap", "bootstrap"))
    return _create_user(iam, OPS_USER, "administrator", {"Effect": "Allow", "Action": "*", "Resource": "*"})


def _create_developer_identity(endpoint: str, ops: Credentials) -> Credentials:
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::*:{DEPLOYER_ROLES}"}
    return _create_user(_iam_client(endpoint, ops), DEVELOPER_USER, "assume-deployers", statement)


def _lambda_update_seconds() -> float:
    value = os.environ.get(LAMBDA_UPDATE_SECONDS, "0")
    try:
        return float(value)
    except ValueError:
        raise EmulatorError(
            f"{LAMBDA_UPDATE_SECONDS} must be a number of seconds, not {value!r}",
            f"unset it (updates apply instantly) or set it like {LAMBDA_UPDATE_SECONDS}=2",
        ) from None


def start() -> Emulator:
    """Start a new emulator, create its ops and developer identities, record them. Raises EmulatorError."""
    state_dir = _state_dir()
    state_dir.mkdir(parents=True, exist_ok=True)
    port, busy_port = _choose_port()
    update_seconds = _lambda_update_seconds()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(_BOOTSTRAP_REQUESTS)}
    _write_private(_admin_secret_file(), secrets.token_urlsafe(32))
    with open(state_dir / "emulator.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.emulator.server", "--port", str(port),
             "--admin-secret-file", str(_admin_secret_file()), "--lambda-update-seconds", str(update_seconds)],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    emulator = Emulator(pid=process.pid, port=port, started_at=time.time(), busy_port=busy_port)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _answers(emulator.endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise EmulatorError(
                f"the emulator did not start on port {port}",
                f"see {state_dir / 'emulator.log'}",
            )
        time.sleep(0.1)
    ops = _create_ops_identity(emulator.endpoint)
    developer = _create_developer_identity(emulator.endpoint, ops)
    _write_private(_credentials_file(), json.dumps({"ops": asdict(ops), "developer": asdict(developer)}))
    _state_file().write_text(json.dumps(asdict(emulator)))
    return emulator


def ensure_running() -> tuple[Emulator, bool]:
    """The running emulator, started if needed; the flag says whether it was started now."""
    emulator = current()
    if emulator is not None:
        return emulator, False
    return start(), True


def stop() -> Emulator | None:
    """Stop the recorded emulator, if any, and forget it. Returns what was stopped."""
    emulator = _recorded()
    if emulator is not None and _pid_alive(emulator.pid):
        os.killpg(emulator.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _pid_alive(emulator.pid) and time.monotonic() < deadline:
            try:
                os.waitpid(emulator.pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.05)
    else:
        emulator = None
    for path in (_state_file(), _credentials_file(), _admin_secret_file()):
        path.unlink(missing_ok=True)
    return emulator
