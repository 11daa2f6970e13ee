"""Shared libs are imported as the services' artifacts import them: from libs/<name>/ on the path."""

from __future__ import annotations

import sys

from pipeline.paths import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "libs" / "service_kit"))
