"""The project's error family: an `IDAError` is a problem the user can fix, and its message is one line that names
the file or config field and says what to do. The CLI prints it (no traceback, exit 2); `execute` stores it as the
reason of a `failed` run. `one_line` also turns the file/OS/YAML/SQLite errors a user can cause into such a line.
"""

from __future__ import annotations

import errno
import sqlite3

# How a full disk shows through the libraries that write a run's files: OSError (errno), safetensors (Rust's
# "os error 28" inside a SafetensorError) and SQLite (SQLITE_FULL, "database or disk is full").
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_FULL_TEXTS = ("no space left on device", "os error 28", "database or disk is full", "disk quota exceeded")


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
    if (full := disk_full(err)) is not None:
        return full
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


def disk_full(err: BaseException) -> str | None:
    """What to do when a write found the disk full (the error itself or one it was raised from), else None."""
    seen: BaseException | None = err
    while seen is not None:
        text = str(seen).lower()
        if (isinstance(seen, OSError) and seen.errno in _FULL_ERRNOS) or any(t in text for t in _FULL_TEXTS):
            where = f" writing {seen.filename}" if isinstance(seen, OSError) and seen.filename else ""
            return (f"the disk is full{where} ({' '.join(str(seen).split())}): free some space (or move the runs "
                    "folder), then `ida resume RUN_DIR` continues the run from its last finished phase")
        seen = seen.__cause__ or seen.__context__
    return None
