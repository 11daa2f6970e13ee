#!/usr/bin/env python3
"""Save-to-live time of `deploy.py watch`: a saved edit to location's handler, tests included.

On a copy of the project (its own emulator and local state) deploys location, starts
`deploy.py watch --service location`, then saves an edit to get_location.py a few times and
measures from each save to the moment `live` serves a new version (read from the emulator), and
to watch's own "live" line, with the stages' own times from the ledger. Prints the samples and
the medians; asserts nothing.
"""

from __future__ import annotations

import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import emulator  # noqa: E402
from pipeline.aws import Identity, connect  # noqa: E402
from pipeline.paths import PROJECT_ROOT  # noqa: E402
from pipeline.project.environments import get_environment  # noqa: E402
from pipeline.state.ledger import Ledger  # noqa: E402

SAMPLES = 5
GIVE_UP_S = 120
FUNCTION = "local-location-get_location"


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    project = scratch / "repo"
    shutil.copytree(PROJECT_ROOT, project, ignore=shutil.ignore_patterns(".git", ".local", ".venv", "__pycache__"))
    os.environ.update(DEPLOY_LOCAL_DIR=str(scratch / "local"), DEPLOY_EMULATOR_PORT="0")
    handler = project / "services" / "location" / "src" / "location" / "get_location.py"
    original = handler.read_text()
    watcher: subprocess.Popen[str] | None = None
    to_live, to_line = [], []
    try:
        deployed = subprocess.run([sys.executable, "deploy.py", "deploy", "--service", "location"], cwd=project,
                                  capture_output=True, text=True)
        if deployed.returncode != 0:
            sys.exit(f"deploy failed:\n{deployed.stdout}\n{deployed.stderr}")
        lambda_client = connect(get_environment("local")).client("lambda", Identity.OPS)
        watcher = subprocess.Popen([sys.executable, "deploy.py", "watch", "--service", "location"], cwd=project,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert watcher.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line.rstrip()) for line in watcher.stdout], daemon=True).start()  # type: ignore[union-attr]
        print(lines.get(timeout=120))
        for sample in range(SAMPLES):
            before = lambda_client.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"]
            saved = time.perf_counter()
            handler.write_text(original.replace('    user_id = request.path("user_id")\n',
                                                f'    user_id = request.path("user_id")\n    print("edit {sample}")\n'))
            while lambda_client.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"] == before:
                if time.perf_counter() - saved > GIVE_UP_S:
                    sys.exit(f"nothing went live within {GIVE_UP_S}s; watch said: {list(lines.queue)}")
                time.sleep(0.05)
            to_live.append(time.perf_counter() - saved)
            line = lines.get(timeout=GIVE_UP_S)
            to_line.append(time.perf_counter() - saved)
            print(line)
            time.sleep(0.5)
        watched = Ledger(connect(get_environment("local")).for_service("location")).executions("location")[-SAMPLES:]
        stages = {stage.name: [next(s.seconds for s in e.stages if s.name == stage.name) for e in watched]
                  for stage in watched[0].stages}
    finally:
        if watcher is not None:
            watcher.terminate()
            watcher.wait()
        emulator.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'measurement':<45} {'median s':>9} {'min s':>7} {'max s':>7}")
    rows = [("save -> new version behind live", to_live), ("save -> watch's 'live' line", to_line),
            *((f"  stage {name} (from the ledger)", seconds) for name, seconds in stages.items())]
    for name, samples in rows:
        print(f"{name:<45} {statistics.median(samples):>9.2f} {min(samples):>7.2f} {max(samples):>7.2f}")


if __name__ == "__main__":
    main()
