"""The usage spool's lock (filelock: flock on Unix, msvcrt on Windows) holds across processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.usage.spool import Erasure, Spool

HOLDER = """
import sys
from pathlib import Path
from bot.usage.spool import Erasure, Spool
spool = Spool(Path(sys.argv[1]))
spool.open()
spool.append([Erasure("left-by-the-other-worker")])
print(spool.path.name, flush=True)
sys.stdin.read()  # hold the lock until told; then exit without close(), like a killed worker
"""


def test_another_process_holding_the_spool_sends_us_to_a_sibling_and_we_adopt_it_after_it_dies(tmp_path: Path) -> None:
    """A spool locked by a live process is left alone; once that process is gone its entries are ours."""
    path = tmp_path / "usage-spool.jsonl"
    other = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert other.stdout is not None
    assert other.stdout.readline().strip() == "usage-spool.jsonl"
    ours = Spool(path)
    ours.open()
    try:
        assert ours.path != path  # the other process holds the main spool
        assert ours.adopt_orphans() == 0  # a live worker's spool is not taken
        other.communicate("", timeout=60)
        assert ours.adopt_orphans() == 1
        assert ours.read() == [Erasure("left-by-the-other-worker")]
        assert not path.exists()
    finally:
        ours.close()
