"""One shallow error tree: every error the project raises on purpose derives from TrolysoError."""

from __future__ import annotations


class TrolysoError(Exception):
    """Root of the project's errors; messages are written for the person who must fix the problem."""


class DataError(TrolysoError):
    """A knowledge, flow or catalog file is wrong. ``problems`` lists every `file:line: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ConfigError(TrolysoError):
    """A setting is missing or impossible."""


class StorageError(TrolysoError):
    """The database refused or lost a write."""


class ConflictError(StorageError):
    """Another worker changed the same conversation first; the turn must be retried."""


class Unavailable(StorageError):
    """The database cannot be reached right now (down, unreachable, or its write lock held by another
    process): what needs it (a help request, a claim) waits, and the person is asked to try again."""
