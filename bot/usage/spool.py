"""The spool: usage rows (and erasure requests) waiting in a local file while the database is away.

A JSON-lines file, appended and fsync'd, read back in order. Each process owns one spool file,
held by an exclusive lock on a lock file beside it (filelock: ``flock`` on Unix, ``msvcrt`` on
Windows, where fcntl does not exist): the first process takes the configured
path, other workers on the same machine take ``<name>.<pid>.jsonl``. A spool whose lock nobody
holds belongs to a process that has gone; :meth:`Spool.adopt_orphans` moves its entries into ours
so they are replayed too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import BaseFileLock, FileLock, Timeout

from bot.storage.private import FILE_MODE, open_private, private_dir
from bot.usage.rows import Row, from_json, to_json

log = logging.getLogger("bot.usage")


@dataclass(frozen=True)
class Erasure:
    """A person's erasure request the database could not take yet; replayed in its place in order."""

    person: str


Entry = Row | Erasure


class Spool:
    """Entries on disk, in order. Not thread-safe: one caller at a time (the writer holds a lock)."""

    def __init__(self, path: Path) -> None:
        self.requested = path
        self.path = path
        self.count = 0  # entries in the file, so an empty spool costs no disk read
        self._lock: BaseFileLock | None = None

    def open(self) -> None:
        """Take our spool file: the requested one if free, else a per-process sibling."""
        private_dir(self.requested.parent)
        for candidate in (self.requested, self._sibling(os.getpid())):
            lock = _try_lock(candidate)
            if lock is not None:
                self.path, self._lock = candidate, lock
                self.count = len(self.read())
                return
        raise OSError(f"spool {self.requested} and its per-process sibling are both locked")

    def close(self) -> None:
        if self._lock is None:
            return
        self._lock.release()
        self._lock = None
        if self.count == 0 and self.path != self.requested:
            # An empty per-process spool is clutter; the main one stays. Unlinked after the
            # release: Windows cannot delete a file that is open, let alone locked.
            _unlink(self.path)
            _unlink(self.path.with_name(self.path.name + ".lock"))

    def append(self, entries: Sequence[Entry]) -> None:
        """Add ``entries`` at the end, on disk (fsync'd) before returning."""
        if not entries:
            return
        data = "".join(_encode(entry) + "\n" for entry in entries).encode()
        fd = open_private(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        self.count += len(entries)

    def read(self) -> list[Entry]:
        """Every entry, oldest first. A damaged line (a crash mid-write) is skipped and logged."""
        return _read(self.path)

    def replace(self, entries: Sequence[Entry]) -> None:
        """Make ``entries`` the whole spool, atomically (a crash leaves the old or the new file)."""
        if not entries:
            if self.path.exists():
                with open(self.path, "r+b") as handle:
                    handle.truncate(0)
                    os.fsync(handle.fileno())
            self.count = 0
            return
        fd, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write("".join(_encode(entry) + "\n" for entry in entries).encode())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            _unlink(Path(temporary))
            raise
        self.count = len(entries)

    def adopt_orphans(self) -> int:
        """Move the entries of spools left by processes that have gone into ours; returns how many."""
        moved = 0
        for other in sorted(self.requested.parent.glob(f"{self.requested.stem}*{self.requested.suffix}")):
            if other == self.path:
                continue
            lock = _try_lock(other)
            if lock is None:
                continue  # a live worker's spool
            try:
                entries = _read(other)
                self.append(entries)
                _unlink(other)
                moved += len(entries)
            finally:
                lock.release()
            _unlink(other.with_name(other.name + ".lock"))
        if moved:
            log.info("usage spool: took over %d entries left by a stopped worker", moved)
        return moved

    def _sibling(self, pid: int) -> Path:
        return self.requested.with_name(f"{self.requested.stem}.{pid}{self.requested.suffix}")


def _try_lock(spool: Path) -> BaseFileLock | None:
    """The lock of ``spool`` if no process holds it (not even this one, through another spool)."""
    lock = FileLock(spool.with_name(spool.name + ".lock"), mode=FILE_MODE)  # 0600, as the spool
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return None
    return lock


def _read(path: Path) -> list[Entry]:
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return []
    entries: list[Entry] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entries.append(_decode(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            log.error("usage spool %s:%d: damaged line skipped (a crash while writing?)", path, number)
    return entries


def _encode(entry: Entry) -> str:
    if isinstance(entry, Erasure):
        return json.dumps({"v": 1, "erase": entry.person})
    return json.dumps({"v": 1, "row": to_json(entry)}, ensure_ascii=False)


def _decode(data: Any) -> Entry:
    if "erase" in data:
        return Erasure(str(data["erase"]))
    return from_json(data["row"])


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, PermissionError):  # PermissionError: in use (Windows)
        path.unlink()
