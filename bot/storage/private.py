"""Files that hold personal data or keys: the SQLite database (and its -wal/-shm), the usage
spool, the local usage key. Each is created readable by the server's own user only (0600) in a
folder only that user can enter (0700), whatever the umask says.

Only folders this code creates are set to 0700: a database placed in an existing shared folder
leaves that folder alone (changing /tmp or a home folder would be worse), but the file itself is
still 0600.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents, each 0700; existing folders are left as they are."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another worker made it a moment ago
            folder.mkdir(mode=DIR_MODE)
            os.chmod(folder, DIR_MODE)  # mkdir's mode passes through the umask; chmod does not


def private_file(path: Path) -> None:
    """Make sure ``path`` exists with mode 0600 (created empty when missing) in a private folder."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def open_private(path: Path, flags: int) -> int:
    """``os.open`` with O_CREAT that leaves a new file at 0600 whatever the umask."""
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd
