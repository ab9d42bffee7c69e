"""The project's error family: an `IDAError` is a problem the user can fix, and its message is one line that names
the file or config field and says what to do. The CLI prints it (no traceback, exit 2); `execute` stores it as the
reason of a `failed` run. `one_line` also turns the file/OS/YAML/SQLite errors a user can cause into such a line.
"""

from __future__ import annotations

import sqlite3


class IDAError(Exception):
    """A bad input or state the user can fix; the message says which file or field, and what to do."""


class RunDirError(IDAError):
    """A folder that is not a run, or a run whose store or files are missing or damaged."""


class RunLocked(IDAError):
    """Another process is writing this run (it holds `<run>/run.lock`)."""


class EmptyPhase(IDAError):
    """A phase produced nothing usable; it is not stored as done (see `cycle.on_empty`)."""


def one_line(err: BaseException) -> str | None:
    """The one-line description of an error a user can cause and fix; None for anything else (a bug)."""
    import yaml

    if isinstance(err, IDAError):
        return str(err)
    if isinstance(err, UnicodeDecodeError):
        return f"a file is not UTF-8 text ({err.reason} at byte {err.start}): save it as UTF-8"
    if isinstance(err, OSError):
        where = f"{err.filename}: " if err.filename else ""
        return f"{where}{err.strerror or err}: check the path and its permissions"
    if isinstance(err, yaml.YAMLError):
        return f"not valid YAML: {' '.join(str(err).split())}"
    if isinstance(err, sqlite3.DatabaseError):
        return f"the run's store (ida.sqlite) cannot be used: {err}; restore it from a copy or start a new run"
    return None
