"""The instructions callgrind counts for a Python command: the measure of bench/turn_cpu.py and
bench/webchat_cpu.py (the same total for the same program and input, busy machine or not)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path


def instructions(args: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run ``python args…`` under ``valgrind --tool=callgrind``; its total instruction count."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, *args],
            capture_output=True, text=True, cwd=cwd, env=dict(env) if env is not None else os.environ.copy(), check=True,
        )  # fmt: skip
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no total:\n{done.stderr[-2000:]}")
    return int(found[1])
